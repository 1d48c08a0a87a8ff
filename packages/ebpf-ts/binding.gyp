{
  "targets": [{
    "target_name": "ebpf_ts",
    "sources": ["native/addon.cc", "native/bpf.cc"],
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
    "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Wno-unused-parameter", "<!@(pkg-config --cflags libbpf)"],
    "libraries": ["<!@(pkg-config --libs libbpf)"],
    "cflags!": ["-fno-exceptions"],
    "cflags_cc!": ["-fno-exceptions"],
    "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"]
  }]
}
