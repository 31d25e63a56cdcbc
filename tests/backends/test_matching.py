"""The matching rules of replay: what identifies a request, sanitized ids, polling order."""

import pytest

from amlmagic.backends.replay.matching import Player, request_key, segment_matches
from amlmagic.errors import ReplayMismatchError

WS = "https://management.azure.com/subscriptions/00000000-0000-0000-0000-000000000/resourceGroups/00000/providers/Microsoft.MachineLearningServices/workspaces/00000"
REAL = "https://eastus.management.azure.com/subscriptions/6c1d3a0e-8b9f-4d5e-a7c2-3f4b5e6d7a8b/resourceGroups/rg-demo/providers/Microsoft.MachineLearningServices/workspaces/ws-demo"


def entry(method, uri, status=200, body=None):
    return {"RequestMethod": method, "RequestUri": uri, "StatusCode": status, "ResponseHeaders": {}, "ResponseBody": body}


def test_host_case_and_api_version_are_ignored():
    player = Player([entry("GET", WS + "/computes/cpu?api-version=2023-08-01-preview", body={"n": 1})])
    answer = player.answer("GET", REAL.replace("computes", "x") + "/COMPUTES/cpu?api-version=2025-01-01")
    assert answer["ResponseBody"] == {"n": 1}


def test_other_query_parameters_must_match():
    player = Player([entry("GET", WS + "/data?api-version=1&listViewType=ActiveOnly")])
    with pytest.raises(ReplayMismatchError):
        player.answer("GET", REAL + "/data?api-version=2&listViewType=All")
    assert player.answer("GET", REAL + "/data?listViewType=ActiveOnly")


def test_lro_volatile_and_sas_parameters_are_ignored():
    lro = "https://x/subscriptions/00000000-0000-0000-0000-000000000/providers/m/locations/westus/computeOperationsStatus/6b66959f-0bb2-4f11-a753-2739f49ac7a0?api-version=1&service=new&t=1&c=Sanitized&s=Sanitized&h=Sanitized"
    player = Player([entry("GET", lro)])
    assert player.answer("GET", lro.replace("t=1", "t=99").replace("h=Sanitized", "h=abc").replace("00000000-0000-0000-0000-000000000", "6c1d3a0e-8b9f-4d5e-a7c2-3f4b5e6d7a8b"))
    blob = "https://Sanitized.blob.core.windows.net/c/LocalUpload/00000000000000000000000000000000/data/a.csv?sv=Sanitized&sig=000&se=Sanitized"
    player = Player([entry("HEAD", blob)])
    assert player.answer("HEAD", "https://acct.blob.core.windows.net/c/LocalUpload/5f2b9a0c1d3e4f5a6b7c8d9e0f1a2b3c/data/a.csv?sv=2021&sig=realsig%3D&se=2026")


def test_sanitized_segments_match_anything_but_real_names_do_not():
    assert segment_matches("00000", "my-workspace")
    assert segment_matches("00000000-0000-0000-0000-000000000", "6c1d3a0e-8b9f-4d5e-a7c2-3f4b5e6d7a8b")
    assert segment_matches("sanitized", "anything")
    assert segment_matches("f33ff6d37bc2b81a5fc862f06dc32cdf44db984cd2cd6d56eec02ac3254fb946", "a" * 64)
    assert not segment_matches("f33ff6d37bc2b81a5fc862f06dc32cdf44db984cd2cd6d56eec02ac3254fb946", "a" * 32)
    assert not segment_matches("test_1", "test_2")
    assert not segment_matches("cpu-cluster", "gpu-cluster")


def test_repeated_requests_walk_through_entries_in_order_then_repeat_the_last():
    uri = WS + "/jobs/j1"
    player = Player([entry("GET", uri, body={"s": "Starting"}), entry("PUT", uri), entry("GET", uri, body={"s": "Running"})])
    seen = [player.answer("GET", uri)["ResponseBody"]["s"] for _ in range(3)]
    assert seen == ["Starting", "Running", "Running"]


def test_used_up_put_is_a_mismatch_naming_request_and_closest_entries():
    player = Player([entry("PUT", WS + "/jobs/j1"), entry("GET", WS + "/computes/c1")], sources=["session.json"])
    player.answer("PUT", WS + "/jobs/j1")
    with pytest.raises(ReplayMismatchError) as info:
        player.answer("PUT", WS + "/jobs/j1")
    message = str(info.value)
    assert "\n" not in message
    assert "PUT …/workspaces/00000/jobs/j1" in message and "(already used)" in message
    assert "session.json" in message


def test_request_key_drops_only_ignored_query():
    key = request_key("get", "https://h/A/B?api-version=1&$top=1&hash=abc")
    assert key.method == "GET" and key.segments == ("a", "b") and key.query == (("$top", "1"),)


def test_a_collapsed_entry_answers_count_requests_then_the_next_one():
    uri = WS + "/jobs/j1"
    running = {**entry("GET", uri, body={"s": "Running"}), "Count": 3}
    player = Player([running, entry("GET", uri, body={"s": "Completed"})])
    seen = [player.answer("GET", uri)["ResponseBody"]["s"] for _ in range(5)]
    assert seen == ["Running", "Running", "Running", "Completed", "Completed"]
    assert player.unused() == []


def test_a_partly_used_collapsed_entry_is_not_unused_and_a_put_is_not_repeated():
    uri = WS + "/jobs/j1"
    player = Player([{**entry("GET", uri), "Count": 4}, {**entry("PUT", uri), "Count": 2}, entry("GET", WS)])
    player.answer("GET", uri)
    player.answer("PUT", uri)
    player.answer("PUT", uri)
    with pytest.raises(ReplayMismatchError, match="already used"):
        player.answer("PUT", uri)
    assert player.unused() == [player.entries[2]]
    assert len(player.mismatches) == 1 and player.mismatches[0].startswith("Replay has no recorded answer for PUT")


def test_a_poll_past_the_end_of_its_recording_stops_after_max_repeats():
    from amlmagic.backends.replay.matching import MAX_REPEATS

    poll = WS + "/operations/1?api-version=1"
    player = Player([entry("GET", poll, body={"status": "Creating"})])
    answers = [player.answer("GET", poll)["ResponseBody"]["status"] for _ in range(1 + MAX_REPEATS)]
    assert answers == ["Creating"] * (1 + MAX_REPEATS)  # the last answer repeats, a bounded number of times
    with pytest.raises(ReplayMismatchError, match="The recording ends here"):
        player.answer("GET", poll)
