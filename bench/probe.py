"""Replays the robustness probe of issue 16 and prints, per case, whether the product held.

    python bench/probe.py [--case 6] [--list]

Each case of the probe (hostile documents, native telemetry, resource bombs, a lost corpus, fetch
attacks, damaged stores) is replayed by the tests named beside it: they run the real `treaty` command
or the real code on synthetic documents, loopback servers and copies of a real index. Running them
here, in one pytest session, gives the next probe its starting table; a case holds when every one of
its tests passes. Exit status 1 when a case failed. Figures (time, peak memory) are what the tests
themselves check; `python -m pytest -rA` shows their output."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
R = "tests/test_robustness.py::"

# (item of issue 16, what was tried, tests that replay it)
CASES: list[tuple[str, str, list[str]]] = [
    ("1", "index, search, ask, eval, a chat session and 45 s of embedding in an empty network namespace: "
          "no internet connect or send from any code (onnxruntime telemetry included)",
     ["tests/test_offline.py::test_no_internet_packet_from_index_ask_search_eval_or_chat",
      "tests/test_offline.py::test_the_trace_sees_a_lookup_made_in_native_code"]),
    ("2", "CSI/OSC/DCS/C1 and bidi controls in Markdown and HTML (&#27;) reach no terminal: ask, "
          "search, corpus show/list, piped and on a pty; JSON stays exact",
     [R + "test_no_control_sequence_from_a_document_reaches_a_pipe",
      R + "test_on_a_terminal_only_our_colours_are_escape_sequences",
      R + "test_json_keeps_every_string_exact", R + "test_the_load_guard_blanks_controls_one_for_one"]),
    ("2", "the same document in the chat TUI, the memo export, and a real tmux pane (title, clipboard)",
     [R + "test_the_chat_shows_document_controls_as_text_and_marks_the_suspicious_source",
      R + "test_a_real_terminal_keeps_its_title_and_clipboard"]),
    ("3", "forged </passage> tags in every field stay inside their prompt fence; labels are ours",
     [R + "test_forged_tags_in_every_field_stay_inside_their_fence",
      R + "test_a_model_copying_the_escapes_is_read_as_the_characters",
      R + "test_a_heading_that_forges_a_source_gives_the_model_our_labels_only"]),
    ("3", "a passage that gives the reader instructions is quoted as suspicious, never silently",
     [R + "test_a_passage_giving_instructions_is_quoted_as_suspicious_not_silently",
      R + "test_no_passage_of_the_shared_corpus_reads_as_instructions"]),
    ("4", "corpus add without --corpus-dir keeps the documents of the folder the index was built with; "
          "a folder that is gone stops writers in one line",
     [R + "test_corpus_add_without_a_corpus_folder_keeps_the_documents_of_the_folder_the_index_was_built_with",
      R + "test_an_index_written_before_the_folder_was_recorded_finds_it_from_its_documents",
      R + "test_a_corpus_folder_that_is_gone_stops_writers_in_one_line_and_readers_go_on",
      R + "test_an_add_from_another_corpus_folder_never_takes_indexed_documents_out"]),
    ("5", "a damaged or deleted state.json: ask and search answer, writers point to `treaty corpus "
          "repair`, which recovers every document and deletes no copy; state written with fsync + backup",
     [R + "test_the_corpus_state_is_written_with_fsync_and_its_previous_version_kept",
      R + "test_a_damaged_corpus_state_is_recovered_for_readers_and_stops_writers",
      R + "test_with_a_damaged_state_ask_and_search_answer_and_writers_say_how_to_repair",
      R + "test_repair_rebuilds_the_state_from_its_backup_the_copies_and_the_index_deleting_nothing",
      R + "test_a_state_deleted_with_its_backup_costs_no_copy_and_repair_registers_them_again"]),
    ("6", "bombs: DOCX to 300 MB and 7 GB, lying zip headers, 2,000-page PDF, 12 MB paragraph, 600 and "
          "100k nested divs: one line within 60 s, peak RSS < 1.5 GB, index unchanged",
     [R + "test_a_bomb_is_refused_in_one_line_within_a_minute_in_little_memory"]),
    ("6", "parsing is linear and iterative; the passage limit and the memory budget hold",
     [R + "test_a_long_paragraph_parses_in_linear_time_once_its_limit_is_raised",
      R + "test_deep_html_is_read_without_recursion_once_its_limit_is_raised",
      R + "test_a_document_over_the_passage_limit_is_refused_naming_the_setting",
      R + "test_reading_that_outgrows_the_memory_budget_is_one_line_naming_the_setting",
      R + "test_a_reader_killed_by_a_signal_is_one_line_naming_the_budget"]),
    ("7", "https only through every redirect (http, file://, loops), certificates verified",
     [R + "test_fetch_refuses_a_redirect_from_https_to_plain_http_without_contacting_it",
      R + "test_fetch_names_a_file_redirect_as_not_https_rather_than_a_lost_connection",
      R + "test_fetch_refuses_a_plain_http_address_before_connecting",
      R + "test_fetch_stops_a_redirect_loop_with_one_line",
      R + "test_fetch_refuses_a_certificate_it_cannot_verify_and_does_not_retry",
      R + "test_the_fetch_command_says_a_downgrade_in_one_line"]),
    ("7", "a total deadline per document (trickling body or headers, retries)",
     [R + "test_a_trickling_body_is_stopped_at_the_deadline_and_what_arrived_is_kept",
      R + "test_headers_that_trickle_are_stopped_at_the_deadline",
      R + "test_the_deadline_counts_the_waits_between_retries"]),
    ("7", "a body shorter than its Content-Length (or Content-Range) is never pinned",
     [R + "test_a_body_shorter_than_its_content_length_is_never_pinned",
      R + "test_a_resumed_body_that_ends_early_without_an_error_is_not_accepted",
      R + "test_part_of_a_file_sent_unasked_is_completed_before_it_is_pinned"]),
    ("8", "the UN viewer page is refused as an app shell; the download follows the ODS endpoint; "
          "fetch then ask cites the fetched document's page",
     ["tests/test_fetch.py::test_the_download_follows_the_endpoint_and_the_lock_records_it",
      "tests/test_fetch.py::test_the_viewer_page_is_refused_as_an_app_shell",
      "tests/test_fetch.py::test_a_landing_page_that_does_not_name_the_document_is_refused",
      "tests/test_fetch.py::test_fetch_then_ask_through_the_viewer_and_the_endpoint_cites_the_page"]),
    ("9", "disk full (simulated and a real tmpfs): one line naming the path, previous index kept, no "
          "wrong --rebuild advice",
     [R + "test_a_full_disk_while_writing_the_corpus_state_names_the_file",
      R + "test_a_full_disk_while_indexing_is_one_line_naming_the_index_and_nothing_is_rebuilt",
      R + "test_a_chroma_write_that_fails_with_room_on_the_disk_is_one_line_and_not_called_a_full_disk",
      R + "test_a_chroma_store_that_cannot_open_on_a_full_disk_is_not_called_damaged",
      R + "test_a_really_full_disk_is_one_line_and_keeps_the_index"]),
    ("9", "a reader never sees its generation vanish; leftovers of killed builds are cleaned",
     [R + "test_a_reader_opens_the_new_generation_when_a_writer_retires_the_one_it_read_in_current",
      R + "test_a_generation_in_use_outlives_new_builds_and_goes_at_the_first_write_after_its_release",
      R + "test_what_killed_builds_leave_in_the_index_folder_goes_at_the_next_index_run"]),
    ("9", "wrong BM25 values, damaged arrays and NaN vectors are caught by checksums and checks",
     [R + "test_wrong_values_in_the_bm25_arrays_or_vectors_are_index_corrupt",
      R + "test_a_damaged_array_is_one_line_from_ask",
      R + "test_an_embedder_giving_vectors_that_are_not_numbers_writes_nothing"]),
    ("9", "a symlink (to /etc/passwd or anywhere) is followed and its target named",
     [R + "test_an_added_link_is_followed_and_where_it_leads_is_named"]),
]


def _selected(args) -> list[tuple[str, str, list[str]]]:
    return [c for c in CASES if not args.case or c[0] in args.case]


def _run(nodes: list[str]) -> dict[str, str]:
    """Outcome per test node id (parametrised ids included): passed, failed or skipped."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "junit.xml"
        subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}", *nodes],
                       cwd=REPO, env=os.environ.copy())
        outcomes = {}
        for case in ET.parse(report).getroot().iter("testcase"):
            path = case.get("classname", "").replace(".", "/") + ".py"
            failed = case.find("failure") is not None or case.find("error") is not None
            skipped = case.find("skipped") is not None
            outcomes[f"{path}::{case.get('name')}"] = "failed" if failed else "skipped" if skipped else "passed"
        return outcomes


def _verdict(tests: list[str], outcomes: dict[str, str]) -> tuple[str, int, int]:
    mine = [o for node, o in outcomes.items() if any(node == t or node.startswith(t + "[") for t in tests)]
    ran = len(mine)
    held = ran > 0 and all(o == "passed" for o in mine) and all(
        any(n == t or n.startswith(t + "[") for n in outcomes) for t in tests)
    return ("held" if held else "FAILED"), sum(o == "passed" for o in mine), ran


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--case", action="append", help="only the cases of this item of issue 16 (repeatable)")
    parser.add_argument("--list", action="store_true", help="list the cases and their tests, run nothing")
    args = parser.parse_args()
    cases = _selected(args)
    if args.list:
        for item, what, tests in cases:
            print(f"{item}  {what}\n   " + "\n   ".join(tests))
        return 0
    outcomes = _run(sorted({t for _, _, tests in cases for t in tests}))
    print(f"\n{'item':<5}{'result':<8}{'tests':<8}case")
    failed = 0
    for item, what, tests in cases:
        verdict, passed, ran = _verdict(tests, outcomes)
        failed += verdict != "held"
        print(f"{item:<5}{verdict:<8}{f'{passed}/{ran}':<8}{what}")
    print(f"\n{len(cases) - failed} of {len(cases)} cases held")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
