"""The virtual board's MicroPython REPL: real mpremote as client, and exact byte exchanges
from spec isp-kfpkg-repl §9 (friendly, raw, raw-paste, soft reset, Ctrl-C)."""
from __future__ import annotations

import hashlib
import struct
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from host_tests.serial.vboard_util import Client, bootable_flash, mpremote
from maixkpu.vboard import VirtualBoard
from maixkpu.vboard.board_modules import BoardContext, default_modules
from maixkpu.vboard.filesystem import BoardFs
from maixkpu.vboard.interpreter import Interpreter
from maixkpu.vboard.repl import Repl, friendly_banner

# pyserial 3.5's RFC 2217 client uses Thread.setDaemon/setName
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:serial.rfc2217")
RAW_BANNER = b"raw REPL; CTRL-B to exit\r\n>"


@pytest.fixture
def board(tmp_path: Path) -> Iterator[VirtualBoard]:
    flash = bootable_flash()
    fs = tmp_path / "flash"
    with VirtualBoard(flash, fs_dir=fs, pty=True) as vb:
        yield vb
    flash.close()


@pytest.fixture
def client(board: VirtualBoard) -> Iterator[Client]:
    assert board.rfc2217_url is not None
    with Client(board.rfc2217_url) as c:
        yield c


# -- mpremote, the real client --------------------------------------------------------------------

def test_mpremote_exec_prints_result(board: VirtualBoard) -> None:
    result = mpremote(board.rfc2217_url or "", "exec", "print(1+1)")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "2"


def test_mpremote_run_script(board: VirtualBoard, tmp_path: Path) -> None:
    script = tmp_path / "script.py"
    script.write_text("import time\nt = time.ticks_ms()\nfor i in range(3):\n    print('n', i)\n"
                      "print(time.ticks_diff(time.ticks_ms(), t) >= 0)\n")
    result = mpremote(board.rfc2217_url or "", "run", str(script))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:4] == ["n 0", "n 1", "n 2", "True"]


def test_mpremote_error_exits_1_with_micropython_traceback(board: VirtualBoard) -> None:
    result = mpremote(board.rfc2217_url or "", "exec", "raise ValueError('boom')")
    assert result.returncode == 1
    text = result.stdout + result.stderr
    assert 'File "<stdin>", line 1, in <module>' in text
    assert text.strip().endswith("ValueError: boom")


def test_mpremote_fs_cp_ls_cat_and_back(board: VirtualBoard, tmp_path: Path) -> None:
    url = board.rfc2217_url or ""
    local = tmp_path / "data.txt"
    content = "".join(f"line {i} \u00e9\n" for i in range(100))  # > 256 bytes: several chunks
    local.write_text(content, encoding="utf-8")
    result = mpremote(url, "fs", "cp", str(local), ":data.txt")
    assert result.returncode == 0, result.stderr
    assert (board.fs_dir / "data.txt").read_bytes() == local.read_bytes()

    listing = mpremote(url, "fs", "ls")
    assert listing.returncode == 0, listing.stderr
    size = len(local.read_bytes())
    assert f"{size:12} data.txt" in listing.stdout

    cat = mpremote(url, "fs", "cat", ":data.txt")
    assert cat.returncode == 0, cat.stderr
    assert cat.stdout.replace("\r\n", "\n").endswith(content)

    back = tmp_path / "back.txt"
    copy = mpremote(url, "fs", "cp", ":data.txt", str(back))
    assert copy.returncode == 0, copy.stderr
    assert back.read_bytes() == local.read_bytes()

    again = mpremote(url, "fs", "cp", str(local), ":data.txt")  # hashlib on the board
    assert "Up to date" in again.stdout


def test_mpremote_fs_mkdir_rm_and_errors(board: VirtualBoard) -> None:
    url = board.rfc2217_url or ""
    assert mpremote(url, "fs", "mkdir", ":sub").returncode == 0
    assert (board.fs_dir / "sub").is_dir()
    listing = mpremote(url, "fs", "ls", ":/flash")
    assert "sub/" in listing.stdout
    missing = mpremote(url, "fs", "cat", ":nope.py")
    assert missing.returncode == 1
    assert "No such file or directory" in missing.stdout + missing.stderr
    assert mpremote(url, "fs", "rmdir", ":sub").returncode == 0
    assert not (board.fs_dir / "sub").exists()


def test_mpremote_over_pty(board: VirtualBoard) -> None:
    assert board.pty_path is not None and board.pty_path.startswith("/dev/pts/")
    result = mpremote(board.pty_path, "exec", "import os\nprint(os.getcwd(), os.listdir('/'))")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "/flash ['flash']"


def test_mpremote_without_raw_paste(tmp_path: Path) -> None:
    """Old MaixPy answers raw-paste requests with the raw banner; mpremote falls back."""
    flash = bootable_flash()
    with VirtualBoard(flash, fs_dir=tmp_path, raw_paste=False) as vb:
        code = "s = 0\n" + "".join(f"s += {i}\n" for i in range(100)) + "print(s)"
        result = mpremote(vb.rfc2217_url or "", "exec", code)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == str(sum(range(100)))
    flash.close()


# -- byte transcripts (spec §9.4) ------------------------------------------------------------------

def test_raw_repl_transcript_with_raw_paste(client: Client) -> None:
    client.friendly_prompt()
    client.write(b"\r\x03")
    assert client.read_until(b">>> \r\n>>> ") == b"\r\n>>> \r\n>>> "
    client.write(b"\r\x01")
    assert client.read_until(RAW_BANNER) == b"\r\n>>> \r\n" + RAW_BANNER
    client.write(b"\x04")
    assert client.read_until(RAW_BANNER) == b"OK\r\nMPY: soft reboot\r\n" + RAW_BANNER
    client.write(b"\x05A\x01")
    assert client.read_exactly(5) == b"R\x01\x80\x00\x01"
    client.write(b"print(1)\x04")
    assert client.read_until(b">") == b"\x041\r\n\x04\x04>"
    client.write(b"\r\x02")
    assert client.read_until(b">>> ") == b"\r\n" + friendly_banner() + b">>> "


def test_raw_repl_error_goes_after_first_eot(client: Client) -> None:
    client.enter_raw()
    out, err = client.raw_exec(b"print('a')\nraise ValueError('boom')")
    assert out == b"a\r\n"
    assert err == (b"Traceback (most recent call last):\r\n"
                   b'  File "<stdin>", line 2, in <module>\r\nValueError: boom\r\n')


def test_raw_repl_syntax_error_and_oserror_text(client: Client) -> None:
    client.enter_raw()
    _, err = client.raw_exec(b"x = = 1")
    assert err.endswith(b"SyntaxError: invalid syntax\r\n")
    assert b'File "<stdin>", line 1' in err
    _, err = client.raw_exec(b"open('missing.txt')")
    assert err.endswith(b"OSError: [Errno 2] ENOENT\r\n")
    _, err = client.raw_exec(b"1/0")
    assert err.endswith(b"ZeroDivisionError: divide by zero\r\n")


def test_raw_paste_flow_control_windows(client: Client) -> None:
    client.enter_raw()
    client.write(b"\x05A\x01")
    header = client.read_exactly(5)
    assert header[:2] == b"R\x01"
    window = struct.unpack("<H", header[2:4])[0]
    assert window == 128 and header[4:] == b"\x01"
    code = b"x = '" + b"a" * (3 * window) + b"'\nprint(len(x))"
    client.write(code)  # we may send two windows, the third after one more 0x01
    grants = client.read_exactly(len(code) // window)
    assert grants == b"\x01" * (len(code) // window)
    client.write(b"\x04")
    assert client.read_until(b">") == b"\x04" + str(3 * window).encode() + b"\r\n\x04\x04>"


def test_raw_repl_unsupported_paste_command(client: Client) -> None:
    client.enter_raw()
    client.write(b"\x05B\x01")
    assert client.read_exactly(3) == b"R\x00>"


def test_raw_repl_keeps_globals_until_soft_reset(client: Client) -> None:
    client.enter_raw()
    assert client.raw_exec(b"x = 41") == (b"", b"")
    assert client.raw_exec(b"print(x + 1)") == (b"42\r\n", b"")
    client.write(b"\x04")
    assert client.read_until(RAW_BANNER) == b"OK\r\nMPY: soft reboot\r\n" + RAW_BANNER
    _, err = client.raw_exec(b"print(x)")
    assert err.endswith(b"NameError: name 'x' isn't defined\r\n")


# -- friendly REPL ---------------------------------------------------------------------------------

def test_friendly_repl_echo_values_and_continuation(client: Client) -> None:
    client.friendly_prompt()
    client.write(b"1+2\r")
    assert client.read_until(b">>> ") == b"1+2\r\n3\r\n>>> "
    client.write(b"for i in range(2):\r")
    assert client.read_until(b"... ") == b"for i in range(2):\r\n... "
    client.write(b"  print(i)\r")
    assert client.read_until(b"... ") == b"  print(i)\r\n... "
    client.write(b"\r")
    assert client.read_until(b">>> ") == b"\r\n0\r\n1\r\n>>> "
    client.write(b"'ab'\x7f\r")  # backspace removes the closing quote: a syntax error
    assert client.read_until(b">>> ").endswith(b"SyntaxError: invalid syntax\r\n>>> ")


def test_friendly_soft_reset_banner_and_fresh_globals(client: Client) -> None:
    client.friendly_prompt()
    client.write(b"y = 5\r")
    client.read_until(b">>> ")
    client.write(b"\x04")
    assert client.read_until(b">>> ") == b"\r\nMPY: soft reboot\r\n" + friendly_banner() + b">>> "
    client.write(b"y\r")
    assert client.read_until(b">>> ").endswith(b"NameError: name 'y' isn't defined\r\n>>> ")


def test_friendly_paste_mode(client: Client) -> None:
    client.friendly_prompt()
    client.write(b"\x05")
    client.read_until(b"=== ")
    client.write(b"a = 3\rprint(a * 2)\r\x04")
    assert client.read_until(b">>> ").endswith(b"6\r\n>>> ")


def test_ctrl_b_prints_banner(client: Client) -> None:
    client.friendly_prompt()
    client.write(b"\x02")
    assert client.read_until(b">>> ") == b"\r\n" + friendly_banner() + b">>> "


# -- Ctrl-C ----------------------------------------------------------------------------------------

def test_ctrl_c_stops_busy_loop_and_board_keeps_working(client: Client) -> None:
    client.enter_raw()
    client.write(b"while True: pass\x04")
    client.read_until(b"OK")
    client.write(b"\x03")
    assert client.read_until(b"\x04>") == (
        b"\x04Traceback (most recent call last):\r\n"
        b'  File "<stdin>", line 1, in <module>\r\nKeyboardInterrupt: \r\n\x04>')
    assert client.raw_exec(b"print('alive')") == (b"alive\r\n", b"")


def test_ctrl_c_wakes_a_long_sleep(client: Client) -> None:
    client.friendly_prompt()
    client.write(b"import time; time.sleep_ms(600000)\r")
    client.read_until(b"time.sleep_ms(600000)\r\n")
    client.write(b"\x03")
    assert client.read_until(b">>> ").endswith(b"KeyboardInterrupt: \r\n>>> ")


def test_mpremote_interrupts_main_py_loop(board: VirtualBoard) -> None:
    (board.fs_dir / "main.py").write_text("print('main running')\nwhile True:\n    pass\n")
    board.press_reset()
    result = mpremote(board.rfc2217_url or "", "exec", "print('after main')")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "after main"


# -- board modules ---------------------------------------------------------------------------------

def test_module_map_missing_and_custom_modules(tmp_path: Path) -> None:
    seen: list[BoardContext] = []

    def make_probe(ctx: BoardContext) -> ModuleType:
        seen.append(ctx)
        module = ModuleType("probe")
        module.head = lambda: ctx.flash_read(0, 5)  # type: ignore[attr-defined]
        return module

    flash = bootable_flash()
    with VirtualBoard(flash, fs_dir=tmp_path, modules={"probe": make_probe, "KPU": None}) as vb:
        with Client(vb.rfc2217_url or "") as c:
            c.enter_raw()
            _, err = c.raw_exec(b"import KPU")
            assert err.endswith(b"ImportError: no module named 'KPU'\r\n")
            _, err = c.raw_exec(b"import socket")
            assert err.endswith(b"ImportError: no module named 'socket'\r\n")
            out, err = c.raw_exec(b"import probe\nprint(probe.head() == %r)" % flash.read(0, 5))
            assert (out, err) == (b"True\r\n", b"")
            c.raw_exec(b"import probe")  # cached per VM: made once
            assert len(seen) == 1
    flash.close()


def test_os_and_files_stay_inside_the_board_fs(client: Client, board: VirtualBoard) -> None:
    client.enter_raw()
    code = (b"import os\nos.mkdir('d')\nf = open('d/a.bin', 'wb')\nf.write(b'xyz')\nf.close()\n"
            b"print(tuple(os.stat('d/a.bin'))[0] == 0x8000, os.stat('d/a.bin')[6])\n"
            b"print(list(os.ilistdir('/flash')))\nos.chdir('d')\nprint(os.getcwd())")
    out, err = client.raw_exec(code)
    assert err == b""
    assert out == b"True 3\r\n[('d', 16384, 0, 0)]\r\n/flash/d\r\n"
    assert (board.fs_dir / "d" / "a.bin").read_bytes() == b"xyz"
    _, err = client.raw_exec(b"open('/flash/../../etc/passwd')")
    assert err.endswith(b"OSError: [Errno 2] ENOENT\r\n")


def test_hashlib_and_user_module_from_flash(client: Client, board: VirtualBoard) -> None:
    (board.fs_dir / "helper.py").write_text("def twice(x):\n    return 2 * x\n")
    client.enter_raw()
    out, err = client.raw_exec(b"import helper, hashlib\nprint(helper.twice(21))\n"
                               b"print(hashlib.sha256(b'abc').digest().hex())")
    assert err == b""
    assert out == b"42\r\n" + hashlib.sha256(b"abc").hexdigest().encode() + b"\r\n"
    _, err = client.raw_exec(b"helper.twice(None)")
    assert b'File "helper.py", line 2, in twice' in err


def test_sys_module_and_host_module_prints_reach_the_board(client: Client) -> None:
    client.enter_raw()
    out, err = client.raw_exec(b"import sys\nprint(sys.implementation.name, sys.platform)")
    assert err == b""
    assert out == b"micropython MaixPy\r\n"
    # KPU.memtest prints through the host's sys.stdout: it must appear on the board
    out, err = client.raw_exec(b"import KPU\nKPU.memtest()")
    assert err == b""
    assert b"###free sys heap memory" in out


def test_machine_reset_reboots_the_board(client: Client, board: VirtualBoard) -> None:
    client.enter_raw()
    boots = sum(1 for e in board.events if e[:2] == ("boot", "app"))
    client.write(b"import machine\nmachine.reset()\x04")
    assert board.wait_for(
        lambda: sum(1 for e in board.events if e[:2] == ("boot", "app")) > boots, 10)
    client.friendly_prompt()
    client.write(b"print('back')\r")
    assert client.read_until(b">>> ").endswith(b"back\r\n>>> ")


def test_camera_folder_and_lcd_output_folder(tmp_path: Path) -> None:
    from PIL import Image

    camera, lcd_out = tmp_path / "camera", tmp_path / "lcd"
    camera.mkdir()
    Image.new("RGB", (320, 240), (0, 255, 0)).save(camera / "frame.png")
    flash = bootable_flash()
    with VirtualBoard(flash, fs_dir=tmp_path / "fs", camera_dir=camera,
                      lcd_out_dir=lcd_out) as vb, Client(vb.rfc2217_url or "") as c:
        c.enter_raw()
        out, err = c.raw_exec(
            b"import sensor, lcd\nsensor.reset()\nsensor.set_pixformat(sensor.RGB565)\n"
            b"sensor.set_framesize(sensor.QVGA)\nimg = sensor.snapshot()\n"
            b"print(img.width(), img.height(), img.get_pixel(5, 5))\nlcd.init()\n"
            b"lcd.display(img)\nimg.save('snap.bmp')")
        assert err == b""
        assert out == b"320 240 (0, 255, 0)\r\n"
        assert (tmp_path / "fs" / "snap.bmp").is_file()  # board paths resolve in /flash
        assert [p.suffix for p in lcd_out.iterdir()] == [".png"]
    flash.close()


def test_kpu_loads_models_from_this_boards_flash_and_fs(tmp_path: Path) -> None:
    pytest.importorskip("maixkpu.maixpy.kpu", reason="the KPU module is not written yet")
    from host_tests.conftest import shared_model

    model = shared_model("sipeed_mnist_28x28.kmodel").read_bytes()
    flash = bootable_flash()
    flash.overwrite(0x300000, model)
    fs = tmp_path / "fs"
    fs.mkdir()
    (fs / "mnist.kmodel").write_bytes(model)
    with VirtualBoard(flash, fs_dir=fs) as vb, Client(vb.rfc2217_url or "") as c:
        c.enter_raw()
        out, err = c.raw_exec(b"import KPU as kpu\ntask = kpu.load(0x300000)\n"
                              b"print(type(task).__name__, task.model_addr())\n"
                              b"print(kpu.load('/flash/mnist.kmodel').model_path())")
        assert err == b""
        assert out == b"kpu_net 3145728\r\n/flash/mnist.kmodel\r\n"
        _, err = c.raw_exec(b"kpu.load(0x200000)")  # erased: not a kmodel
        assert b"ValueError: [MAIXPY]kpu: load error:" in err
    flash.close()


# -- the REPL state machine alone ----------------------------------------------------------------

class _Wire:
    """Collects what a Repl sends, in order, and waits for an ending."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.changed = threading.Condition()

    def out(self, data: bytes) -> None:
        with self.changed:
            self.data += data
            self.changed.notify_all()

    def text(self, text: str) -> None:
        self.out(text.replace("\n", "\r\n").encode())

    def wait_end(self, ending: bytes) -> bytes:
        with self.changed:
            assert self.changed.wait_for(lambda: self.data.endswith(ending), 10), self.data
            return bytes(self.data)


def _bare_repl(fs_dir: Path, wire: _Wire) -> Repl:
    interpreter: Interpreter | None = None

    def write(text: str) -> None:
        assert interpreter is not None
        interpreter.write(text)

    context = BoardContext(fs=BoardFs({"/flash": fs_dir}), write=write,
                           flash_read=lambda addr, n: b"\xff" * n, flash_size=1 << 24)
    interpreter = Interpreter(default_modules(), context, wire.text)
    return Repl(interpreter, wire.out)


MPREMOTE_EXEC = b"\r\x03\r\x01\x04\x05A\x01print(1)\x04\r\x02"


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cuts=st.lists(st.integers(0, len(MPREMOTE_EXEC)), max_size=6))
def test_transcript_does_not_depend_on_chunking(tmp_path: Path, cuts: list[int]) -> None:
    wire = _Wire()
    repl = _bare_repl(tmp_path, wire)
    repl.start()
    banner = wire.wait_end(b">>> ")
    bounds = [0, *sorted(cuts), len(MPREMOTE_EXEC)]
    for start, end in zip(bounds, bounds[1:]):
        repl.feed(MPREMOTE_EXEC[start:end])
    expected = (b"\r\n>>> \r\n>>> \r\n>>> \r\n" + RAW_BANNER + b"OK\r\nMPY: soft reboot\r\n"
                + RAW_BANNER + b"R\x01\x80\x00\x01" + b"\x041\r\n\x04\x04>"
                + b"\r\n" + friendly_banner() + b">>> ")
    assert wire.wait_end(friendly_banner() + b">>> ")[len(banner):] == expected
    repl.stop()


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(st.sampled_from(["..", ".", "", "flash", "sd", "a", "b.py", "..."]),
                      max_size=8), absolute=st.booleans())
def test_board_paths_never_leave_their_mount(tmp_path: Path, parts: list[str],
                                             absolute: bool) -> None:
    mounts = {"/flash": tmp_path / "flash", "/sd": tmp_path / "sd"}
    fs = BoardFs(mounts)
    path = ("/" if absolute else "") + "/".join(parts)
    try:
        host = fs.host_path(path)
    except OSError as exc:
        assert exc.args == (2,)  # outside every mount: ENOENT
        return
    board = fs.absolute(path)
    if host is None:
        assert board == "/"
    else:
        root = mounts["/" + board.split("/")[1]].resolve()
        assert host.resolve() == root or root in host.resolve().parents


FACE_SCRIPT = """\
import sensor, image, lcd
import KPU as kpu
lcd.init()
sensor.reset()
sensor.set_pixformat(sensor.RGB565)
sensor.set_framesize(sensor.QVGA)
task = kpu.load(0x300000)
anchors = (1.889, 2.5245, 2.9465, 3.94056, 3.99987, 5.3658, 5.155437, 6.92275, 6.718375, 9.01025)
kpu.init_yolo2(task, 0.5, 0.3, 5, anchors)
img = sensor.snapshot()
for face in kpu.run_yolo2(task, img) or []:
    img.draw_rectangle(face.rect())
    print("face", face.rect())
lcd.display(img)
kpu.deinit(task)
"""


@pytest.mark.slow
def test_face_detection_script_runs_on_the_flashed_board(tmp_path: Path) -> None:
    """The whole stack: kfpkg in flash, camera folder, KPU, LCD folder, `mpremote run`."""
    pytest.importorskip("maixkpu.maixpy.kpu", reason="the KPU module is not written yet")
    skimage = pytest.importorskip("skimage")
    from PIL import Image

    from host_tests.conftest import shared_model
    from maixkpu.kfpkg import read_kfpkg

    package = shared_model("sipeed_face_model_at_0x300000.kfpkg")
    camera, lcd_out = tmp_path / "camera", tmp_path / "lcd"
    camera.mkdir()
    photo = Path(skimage.__file__).parent / "data" / "astronaut.png"
    Image.open(photo).convert("RGB").resize((320, 240)).save(camera / "astronaut.png")
    flash = bootable_flash()
    for address, data in read_kfpkg(package).regions():
        flash.overwrite(address, data)
    script = tmp_path / "face.py"
    script.write_text(FACE_SCRIPT)
    with VirtualBoard(flash, fs_dir=tmp_path / "fs", camera_dir=camera,
                      lcd_out_dir=lcd_out) as vb:
        result = mpremote(vb.rfc2217_url or "", "run", str(script))
    flash.close()
    assert result.returncode == 0, result.stderr
    faces = [line for line in result.stdout.splitlines() if line.startswith("face (")]
    assert len(faces) == 1, result.stdout
    x, y, w, h = (int(v) for v in faces[0][6:-1].split(","))
    assert 0 <= x and 0 <= y and x + w <= 320 and y + h <= 240 and w > 20 and h > 20
    assert [p.suffix for p in lcd_out.iterdir()] == [".png"]
