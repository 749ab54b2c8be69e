{
  "targets": [
    {
      "target_name": "actbench_native",
      "sources": ["native/addon.cc", "native/pool.cc", "native/gemm.cc", "native/conv.cc", "native/ops.cc", "native/clock.cc"],
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
        },
    {
      "target_name": "actbench_corrupt",
      "sources": ["native/corrupt.cc", "native/kernels.cc", "native/jpeg.cc", "native/libjpeg-turbo/jcapimin.c", "native/libjpeg-turbo/jcapistd.c", "native/libjpeg-turbo/jccoefct.c", "native/libjpeg-turbo/jccolor.c", "native/libjpeg-turbo/jcdctmgr.c", "native/libjpeg-turbo/jchuff.c", "native/libjpeg-turbo/jcicc.c", "native/libjpeg-turbo/jcinit.c", "native/libjpeg-turbo/jcmainct.c", "native/libjpeg-turbo/jcmarker.c", "native/libjpeg-turbo/jcmaster.c", "native/libjpeg-turbo/jcomapi.c", "native/libjpeg-turbo/jcparam.c", "native/libjpeg-turbo/jcphuff.c", "native/libjpeg-turbo/jcprepct.c", "native/libjpeg-turbo/jcsample.c", "native/libjpeg-turbo/jctrans.c", "native/libjpeg-turbo/jdapimin.c", "native/libjpeg-turbo/jdapistd.c", "native/libjpeg-turbo/jdatadst.c", "native/libjpeg-turbo/jdatasrc.c", "native/libjpeg-turbo/jdcoefct.c", "native/libjpeg-turbo/jdcolor.c", "native/libjpeg-turbo/jddctmgr.c", "native/libjpeg-turbo/jdhuff.c", "native/libjpeg-turbo/jdicc.c", "native/libjpeg-turbo/jdinput.c", "native/libjpeg-turbo/jdmainct.c", "native/libjpeg-turbo/jdmarker.c", "native/libjpeg-turbo/jdmaster.c", "native/libjpeg-turbo/jdmerge.c", "native/libjpeg-turbo/jdphuff.c", "native/libjpeg-turbo/jdpostct.c", "native/libjpeg-turbo/jdsample.c", "native/libjpeg-turbo/jdtrans.c", "native/libjpeg-turbo/jerror.c", "native/libjpeg-turbo/jfdctflt.c", "native/libjpeg-turbo/jfdctfst.c", "native/libjpeg-turbo/jfdctint.c", "native/libjpeg-turbo/jidctflt.c", "native/libjpeg-turbo/jidctfst.c", "native/libjpeg-turbo/jidctint.c", "native/libjpeg-turbo/jidctred.c", "native/libjpeg-turbo/jquant1.c", "native/libjpeg-turbo/jquant2.c", "native/libjpeg-turbo/jutils.c", "native/libjpeg-turbo/jmemmgr.c", "native/libjpeg-turbo/jmemnobs.c", "native/libjpeg-turbo/jsimd_none.c"],
      "include_dirs": ["native/libjpeg-turbo"],
      "cflags": ["-O2", "-w", "-fvisibility=hidden"],
      "cflags_cc": ["-std=c++17", "-O3", "-ffp-contract=off", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "xcode_settings": { "OTHER_CFLAGS": ["-O2", "-w"], "OTHER_CPLUSPLUSFLAGS": ["-ffp-contract=off"] }
    }
  ]
}
