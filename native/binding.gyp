{
  "targets": [
    {
      "target_name": "gas_ranged_copy",
      "sources": ["ranged-copy.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"],
      "ldflags": ["-s"]
    }
  ]
}
