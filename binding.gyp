{
  "targets": [
    {
      "target_name": "actbench_native",
      "sources": ["native/addon.cc", "native/pool.cc", "native/gemm.cc", "native/conv.cc", "native/ops.cc"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-O3", "-fexceptions", "-fno-math-errno", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "conditions": [
        ["OS != 'win' and target_arch in ('x64', 'ia32', 'arm64')", {
          "cflags_cc": ["<!@(node -p \"process.env.ACTBENCH_NATIVE_MARCH === 'generic' ? '' : '-march=native'\")"]
        }],
        ["OS == 'mac'", {
          "xcode_settings": {
            "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
            "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
            "OTHER_CPLUSPLUSFLAGS": ["-O3", "-fno-math-errno"]
          }
        }],
        ["OS == 'win'", {
          "msvs_settings": { "VCCLCompilerTool": { "ExceptionHandling": 1, "AdditionalOptions": ["/std:c++17", "/O2"] } }
        }]
      ]
    }
  ]
}
