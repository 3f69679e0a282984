"""Hostile uploads to a running server (issue 11, the app's side), in real Chromium.

One student uploads, one after another, the files that froze or exhausted the server before: a
scenario whose ``[rules]`` name ``sys:addaudithook`` or a ``.py`` file on the server, ``base =
"/dev/zero"``, a ``base`` path to a server file, a roll of 10,000,000, 32,802 candidates in a
776 kB file, TOML nested 500 deep, a file over the size limit. For each: the uploader sees one
clear message beside the upload control (no traceback, no server path), the scenario in use
stays, nothing was executed (a ``.py`` file named by a rule would have left a marker file), and
the server's log has no traceback. Meanwhile a second student steps day after day; the latency
of each of those steps is printed (not asserted: a shared machine is noisy).
"""

from __future__ import annotations

import statistics

from conftest import shot
from test_app_browser import RUN_TIMEOUT, open_app

# Click Step and wait (a MutationObserver) until the day counter changes; milliseconds, -1 on timeout.
STEP_JS = """(limit) => new Promise((resolve) => {
  const before = document.querySelector('.runoff-day').textContent.trim();
  const t0 = performance.now();
  const done = (ms) => { observer.disconnect(); clearTimeout(timer); resolve(ms); };
  const observer = new MutationObserver(() => {
    if (document.querySelector('.runoff-day').textContent.trim() !== before) done(performance.now() - t0); });
  observer.observe(document.body, {subtree: true, childList: true, characterData: true});
  const timer = setTimeout(() => done(-1), limit);
  document.querySelector('.runoff-step').click();
})"""


def hostile_files(tmp_path) -> list[tuple[str, bytes, str]]:
    """(file name, content, what the uploader must read) for each hostile upload."""
    evil = tmp_path / "evil.py"
    marker = tmp_path / "EXECUTED"
    evil.write_text(f"open({str(marker)!r}, 'w').write('ran')\ndef rule(member):\n    return 1.0\n")
    names = ",".join(f'{{name="c{i:05d}",votes=1}}' for i in range(32_802))
    many = f'name = "many"\nroll = 100000\nelection_day = 9\nfinalists = ["c00000", "c00001"]\ncandidates = [{names}]\n'.encode()
    assert 700_000 < len(many) < 1_000_000, len(many)
    deep = b"x = " + b"[" * 500 + b"]" * 500 + b"\n"
    return [
        ("hook.toml", b'base = "labor-2011"\nname = "hook"\n[rules]\nchoice = "sys:addaudithook"\n',
         "hook.toml: rules: an uploaded scenario cannot name decision rules"),
        ("pyfile.toml", f'base = "labor-2011"\nname = "py"\n[rules]\nturnout = "{evil}:rule"\n'.encode(),
         "pyfile.toml: rules: an uploaded scenario cannot name decision rules"),
        ("zero.toml", b'base = "/dev/zero"\nname = "zero"\n',
         "zero.toml: base: an uploaded file may only build on a built-in scenario"),
        ("passwd.toml", b'base = "../../../../../../etc/passwd"\nname = "p"\n',
         "passwd.toml: base: an uploaded file may only build on a built-in scenario"),
        ("many.toml", many, "many.toml: candidates: 32,802 entries; an uploaded scenario may have at most 32"),
        ("deep.toml", deep, "deep.toml: nested too deeply"),
        ("huge.toml", b"# padding\n" * 120_000, "huge.toml: the file is 1,200,000 bytes; a scenario file is at most"),
    ], marker


def test_hostile_uploads_are_refused_while_another_student_keeps_stepping(browser, server, tmp_path, capsys):
    files, marker = hostile_files(tmp_path)
    uploader = open_app(browser, server.url, 1024, 768)
    stepper = open_app(browser, server.url, 1024, 768)
    latencies: list[float] = []
    try:
        a, b = uploader.page, stepper.page
        for name, content, expected in files:
            path = tmp_path / name
            path.write_bytes(content)
            a.set_input_files(".runoff-upload-input", str(path))
            for _ in range(2):  # the other student steps while the server reads the upload
                if b.inner_text(".runoff-day").startswith("Day 9"):
                    b.click(".runoff-reset")
                    b.wait_for_selector("text=Day 0 of 9", timeout=RUN_TIMEOUT)
                ms = b.evaluate(STEP_JS, RUN_TIMEOUT)
                assert ms >= 0, f"{name}: the second session's step did not finish"
                latencies.append(ms)
            a.wait_for_selector(f".runoff-upload-problem:has-text('{name}')", timeout=RUN_TIMEOUT)
            text = a.inner_text(".runoff-upload-problem")
            assert text.startswith("Not loaded: " + expected), (name, text)
            page_text = a.inner_text("body")
            for leak in ("Traceback", 'File "', str(tmp_path), "/site-packages/", "RecursionError"):
                assert leak not in page_text, (name, leak)
            assert "labor-2011 · seed 0" in a.inner_text(".runoff-status"), name  # the scenario in use stays
        shot(a, "app-upload-refused.png")
        # a huge roll is a valid file, but the server's limit on members holds
        big = tmp_path / "big-roll.toml"
        big.write_text('base = "labor-2011"\nname = "big-roll"\nroll = 10000000\n[round1]\nblank = 273\n')
        a.set_input_files(".runoff-upload-input", str(big))
        a.wait_for_selector("text=big-roll · seed 0 · 5,000 members (roll 10,000,000)", timeout=RUN_TIMEOUT)
        a.wait_for_selector(".runoff-notice:has-text('Loaded big-roll.toml')", timeout=RUN_TIMEOUT)  # the last update
        assert a.inner_text(".runoff-full-roll").strip() == "Server limit (66,310)"
        a.fill(".runoff-members input", "10000000")
        a.press(".runoff-members input", "Enter")
        try:
            a.wait_for_selector(".runoff-members .v-messages:has-text('out of range')", timeout=RUN_TIMEOUT)
        except Exception:
            shot(a, "debug-members.png", full_page=True)
            raise
        assert "10,000,000 is out of range; allowed: 100 to 66,310 members" in a.inner_text(".runoff-members")
        assert "5,000 members" in a.inner_text(".runoff-status")
        # after all that, both pages still run to election day
        for page in (a, b):
            page.click(".runoff-reset")
            page.wait_for_selector("text=Day 0 of 9", timeout=RUN_TIMEOUT)
            page.click(".runoff-run")
            page.wait_for_selector(".runoff-winner", timeout=RUN_TIMEOUT)
    finally:
        uploader.close()
        stepper.close()
    uploader.check_clean()
    stepper.check_clean()
    assert not marker.exists(), "a file named by an upload was executed"
    assert server.alive()
    assert "Traceback" not in server.log.read_text(encoding="utf-8", errors="replace")
    with capsys.disabled():
        print(f"\nhostile uploads: the other session's step latency while {len(files)} hostile files were read: "
              f"median {statistics.median(latencies):.0f} ms, max {max(latencies):.0f} ms ({len(latencies)} steps)")
