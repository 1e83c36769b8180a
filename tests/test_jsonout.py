"""The JSON Lines writer: the fast ESP template must give exactly the encoder's bytes."""
from __future__ import annotations

import json

import pytest

from conftest import CAPTURES, PUBLIC, capture_files
from cli.jsonout import _encode, encode_packet
from dissect.pipeline import Dissector

FILES = capture_files(CAPTURES) + capture_files(PUBLIC)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(p.parents[1])))
def test_template_equals_encoder(path):
    esp = 0
    for pkt in Dissector(str(path)).packets():
        line = encode_packet(pkt)
        assert line == _encode(pkt.to_dict()) + "\n", f"frame {pkt.frame}"
        assert json.loads(line)["frame"] == pkt.frame
        esp += pkt.esp is not None
    if "esp" in path.name or path.parent.name.startswith("ipsec_esp"):
        assert esp, "an ESP capture gave no ESP packets"
