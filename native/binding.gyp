{
  "targets": [
    {
      "target_name": "gas_native",
      "sources": ["restore-chunks.c", "crc32.c"],
      "cflags": ["-Os", "-Wall", "-Wextra", "-fno-asynchronous-unwind-tables", "-fvisibility=hidden", "-fno-plt"],
      # why: node's Release flags say -O3, which unrolled the crc32 folds into twice the code for no speed
      "cflags!": ["-O3"],
      # why: the linker's default page padding made a 1 KB loop a 14 KB file; stripped and unpadded the
      # addon stays small, which keeps the installed package under issue 19's 832 KB floor
      "ldflags": ["-s", "-Wl,--hash-style=gnu", "-Wl,--gc-sections", "-Wl,-z,noseparate-code", "-Wl,-z,norelro", "-Wl,--build-id=none"]
    }
  ]
}
