{
  "variables": { "blas%": "onednn" },
  "targets": [{
    "target_name": "electra_native",
    "sources": ["src/addon.c", "src/heap.c", "src/matmul.c", "src/linear.c", "src/adamw.c", "src/gelu.c", "src/signals.c"],
    "cflags": ["-O3", "-std=gnu11", "-Wall", "-Wextra", "-fopenmp", "-fno-math-errno"],
    "conditions": [
      ["blas=='onednn'", {
        "sources": ["src/gemm_dnnl.c"],
                "libraries": ["-ldnnl", "-lgomp", "-Wl,--disable-new-dtags,-rpath,'$$ORIGIN'"]
      }],
      ["blas=='openblas'", {
        "sources": ["src/gemm_openblas.c"],
        "include_dirs": ["/usr/include/x86_64-linux-gnu/openblas-pthread"],
        "libraries": ["-lopenblas", "-lgomp"]
      }]
    ]
  }]
}
