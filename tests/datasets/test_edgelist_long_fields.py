"""Fields of any length (issue 11): a long string id is valid (Python's csv module
stopped at 128 KiB; pyarrow at the block size)."""
import gzip

import numpy as np
import pytest

from graphlearn.datasets.edgelist import EdgeStream, read_edge_list


def write(tmp_path, name, data):
    p = tmp_path / name
    p.write_bytes(data if isinstance(data, bytes) else data.encode())
    return str(p)


@pytest.mark.parametrize("size", [200_000, 2_000_000])
@pytest.mark.parametrize("name,sep", [("g.tsv", "\t"), ("g.csv", ","), ("g.txt", " "), ("g.psv", "|")])
def test_long_fields_string_ids_of_any_length(tmp_path, size, name, sep):
    big = "x" * size
    p = write(tmp_path, name, f"# c\n{big}{sep}b\nb{sep}c\nc{sep}{big}\n")
    el = read_edge_list(p)
    assert el.num_edges == 3 and el.ids.tolist() == ["b", "c", big]
    assert el.ids[el.src].tolist() == [big, "b", "c"] and el.num_lines == 4


def test_long_fields_quoted_and_compressed(tmp_path):
    big = 'q"' * 150_000
    quoted = '"' + big.replace('"', '""') + '"'
    el = read_edge_list(write(tmp_path, "q.csv", f"{quoted},b\nb,c\n"))
    assert big in el.ids.tolist()
    big = "g" * 2_000_000
    el = read_edge_list(write(tmp_path, "g.tsv.gz", gzip.compress(f"a\t{big}\nb\tc\n".encode())))
    assert big in el.ids.tolist() and el.compression == "gzip"


def test_long_fields_line_longer_than_the_parse_block(tmp_path):
    big = "v" * 3_000_000
    lines = [f"n{i}\tn{i + 1}" for i in range(20000)]
    lines[15000] = f"{big}\tn7"
    el = read_edge_list(write(tmp_path, "l.tsv", "\n".join(lines) + "\n"), block_size=1 << 20)
    assert el.num_edges == 20000 and big in el.ids.tolist()
    # integer ids with a very long (valid) weight field, in the per-rank reader
    w = "1." + "0" * 3_000_000
    p = write(tmp_path, "w.tsv", "".join(f"{i}\t{i + 1}\t{w if i == 5000 else 2}\n" for i in range(8000)))
    stream = EdgeStream(p, weighted=True, block_size=1 << 20)
    s, d, x = (np.concatenate(b) for b in zip(*stream))
    assert s.tolist() == list(range(8000)) and x[5000] == 1.0 and x[0] == 2.0


def test_long_fields_errors_after_a_long_id_name_the_line_and_cut_the_content(tmp_path):
    big = "u" * 300_000
    p = write(tmp_path, "e.tsv", f"{big}\tb\nb\tc\nc\td\te\n")
    with pytest.raises(ValueError, match=r"e.tsv, line 3: malformed line: expected 2 fields, found 3: 'c\\td\\te'$"):
        read_edge_list(p)
    p = write(tmp_path, "f.tsv", f"a\tb\n{big}\tc\td\n")
    with pytest.raises(ValueError, match=r"f.tsv, line 2: malformed line: expected 2 fields, found 3: 'u{200}'\.\.\.$") \
            as info:
        read_edge_list(p)
    assert len(str(info.value)) < 400


def test_long_fields_huge_integer_text_is_a_string_id(tmp_path):
    digits = "1" * 300_000
    p = write(tmp_path, "n.tsv", f"{digits}\t2\n")
    el = read_edge_list(p)
    assert el.id_type == "str" and digits in el.ids.tolist()
    with pytest.raises(ValueError, match=r"n.tsv, line 1: source id 1{60}\.\.\. \(field 0\) does not fit in int64"):
        read_edge_list(p, numeric_ids=True)
