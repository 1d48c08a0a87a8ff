{
  "targets": [{
    "target_name": "nodectl_native",
    "sources": ["src/addon.cc", "src/netns.cc", "src/packet.cc", "src/netlink_dump.cc", "src/link_json.cc"],
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
    "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Wno-unused-parameter"],
    "cflags!": ["-fno-exceptions"],
    "cflags_cc!": ["-fno-exceptions"],
    "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"]
  }]
}
