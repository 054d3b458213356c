"""Field names of a run record that several modules need: one place for each list."""

# Every record carries every timing field (null = not measured), in this order in tables.
TIMING_FIELDS = ("import_s", "compile_s", "sampling_s", "end_to_end_s", "process_s")
