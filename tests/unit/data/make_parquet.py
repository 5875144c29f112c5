"""Writes the Parquet fixtures of test_pqfooter (run from this directory with
the project's .venv): pq_small.parquet, written by pyarrow with 3 row groups
of 4 columns (dictionary-encoded strings, a page index), and
pq_small.chunks, one line "START END" per column chunk as pyarrow reports it
(dictionary page offset, else data page offset; + total compressed size)."""
import pyarrow as pa
import pyarrow.parquet as pq

n = 3000
t = pa.table({
    "id": pa.array(range(n), pa.int64()),
    "name": pa.array([f"name-{i % 17}" for i in range(n)]),
    "x": pa.array([i * 0.5 for i in range(n)], pa.float64()),
    "blob": pa.array([bytes([i % 251]) * (i % 40) for i in range(n)], pa.binary()),
})
pq.write_table(t, "pq_small.parquet", row_group_size=1000, write_page_index=True,
               use_dictionary=["name"], compression="snappy")
md = pq.ParquetFile("pq_small.parquet").metadata
with open("pq_small.chunks", "w") as f:
    for g in range(md.num_row_groups):
        for c in range(md.num_columns):
            cc = md.row_group(g).column(c)
            start = cc.data_page_offset
            if cc.has_dictionary_page and cc.dictionary_page_offset and cc.dictionary_page_offset < start:
                start = cc.dictionary_page_offset
            f.write(f"{start} {start + cc.total_compressed_size}\n")
