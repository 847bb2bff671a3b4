"""Header lines (issue 11): one documented rule decides whether the first line is a
header; a file without edges is an error naming the file."""
import gzip

import pytest

from graphlearn.datasets.edgelist import EdgeStream, read_edge_list


def write(tmp_path, name, data):
    p = tmp_path / name
    p.write_bytes(data if isinstance(data, bytes) else data.encode())
    return str(p)


@pytest.mark.parametrize("name,data,kwargs", [
    ("only_header.tsv", "src\tdst\n", {}),
    ("only_header.csv", "source,target\n", {}),
    ("only_header_crlf.tsv", "src\tdst\r\n", {}),
    ("only_header_bom.tsv", b"\xef\xbb\xbfFromNodeId\tToNodeId\n", {}),
    ("only_header.tsv.gz", gzip.compress(b"# c\nfrom\tto\n"), {}),
    ("only_header_numeric.tsv", "src\tdst\n", {"numeric_ids": True}),
    ("only_header_forced.tsv", "a\tb\n", {"header": True}),
    ("only_header_weighted.tsv", "a\tb\tweight\n", {"weighted": True}),
    ("empty.tsv", "", {}),
    ("comments.tsv", "# x\n\n% y\n", {}),
])
def test_headers_input_without_edges_is_an_error(tmp_path, name, data, kwargs):
    p = write(tmp_path, name, data)
    with pytest.raises(ValueError, match=r"no edges \(empty input") as info:
        read_edge_list(p, **kwargs)
    assert str(info.value).startswith(p + ": ") and "\n" not in str(info.value)
    if not kwargs.get("weighted"):
        with pytest.raises(ValueError, match=r"no edges \(empty input"):
            EdgeStream(p, **kwargs)


@pytest.mark.parametrize("text,kwargs,ids,header", [
    # string ids under two column names that occur nowhere else: a header
    ("from\tto\nalice\tbob\nbob\tcarol\n", {}, ["alice", "bob", "carol"], ["from", "to"]),
    ("FromNodeId\tToNodeId\nalice\tbob\n", {}, ["alice", "bob"], ["FromNodeId", "ToNodeId"]),
    ("# comment\nnode_1,node_2\nx,y\n", {}, ["x", "y"], ["node_1", "node_2"]),
    ('"src","dst"\n"a","b"\n', {}, ["a", "b"], ["src", "dst"]),
    # the names occur as ids elsewhere: data (a graph of words)
    ("from\tto\nfrom\tbob\nto\tcarol\n", {}, ["bob", "carol", "from", "to"], None),
    # not column names: data
    ("alice\tbob\nbob\tcarol\n", {}, ["alice", "bob", "carol"], None),
    ("alice\tbob\n", {}, ["alice", "bob"], None),
    # --no-header / --header decide without looking
    ("from\tto\nalice\tbob\n", {"header": False}, ["alice", "bob", "from", "to"], None),
    ("alice\tbob\nbob\tcarol\n", {"header": True}, ["bob", "carol"], ["alice", "bob"]),
    # a weight field that is not a number: a header
    ("a\tb\tweight\nalice\tbob\t1.5\n", {"weighted": True}, ["alice", "bob"], ["a", "b", "weight"]),
    # numeric ids below a line that is not numeric: a header (any names)
    ("x y\n1 2\n2 3\n", {}, [1, 2, 3], ["x", "y"]),
    ("u\tv\n1\t2\n", {}, [1, 2], ["u", "v"]),
    # a numeric first line is data
    ("1\t2\n2\t3\n", {}, [1, 2, 3], None),
])
def test_headers_detection_rule(tmp_path, text, kwargs, ids, header):
    el = read_edge_list(write(tmp_path, "g.tsv" if "," not in text else "g.csv", text), **kwargs).compact()
    assert el.ids.tolist() == ids
    assert el.header == header
    assert el.num_skipped == text.count("\n") - el.num_edges


def test_headers_candidate_late_in_a_large_file(tmp_path):
    """Whether the names occur elsewhere is decided over the whole file, not the sample."""
    lines = ["src\tdst"] + [f"n{i}\tn{i + 1}" for i in range(5000)]
    el = read_edge_list(write(tmp_path, "a.tsv", "\n".join(lines) + "\n"), block_size=4096)
    assert el.num_edges == 5000 and el.header == ["src", "dst"]
    el = read_edge_list(write(tmp_path, "b.tsv", "\n".join(lines + ["src\tn3"]) + "\n"), block_size=4096)
    assert el.num_edges == 5002 and el.header is None and "src" in el.ids.tolist()


def test_headers_string_ids_in_edge_stream_point_at_the_first_data_line(tmp_path):
    p = write(tmp_path, "s.tsv", "src\tdst\nann\tbob\n")
    with pytest.raises(ValueError, match=r"s.tsv, line 2: source id 'ann' \(field 0\) is not an integer"):
        EdgeStream(p)
