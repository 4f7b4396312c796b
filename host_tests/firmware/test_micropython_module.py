"""The KPU and image user C modules built into MicroPython's unix port (modules/kpu/README.md,
modules/image/README.md).

Runs only when MICROPY_DIR names a MicroPython source tree (MicroPython is in no package
registry, so nothing here fetches it). The port is built with both modules into a temporary
folder; then the device scripts (host_tests/device, with their expected output) run on it, and
scripts that print the modules' objects, pixels and errors must print exactly what the host
modules (maixkpu.maixpy.kpu / .image) print for the same inputs. A second build without the
image module (MAIXKPU_IMAGE=0) runs the device scripts on buffers and memoryviews.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from host_tests.conftest import REPO, shared_model

MICROPY_DIR = os.environ.get("MICROPY_DIR", "")
DEVICE_SCRIPTS = REPO / "host_tests" / "device"
PARITY_SCRIPTS = Path(__file__).resolve().parent / "micropython"
FACE_KFPKG = "sipeed_face_model_at_0x300000.kfpkg"
FACE_KMODEL = "sipeed_facedetect_320x240.kmodel"
MNIST_KMODEL = "sipeed_mnist_28x28.kmodel"
# Build switches that need no git submodule of MicroPython (btree, mbedtls) and no libffi;
# the TLS module is MICROPY_PY_SSL from v1.21 on, MICROPY_PY_USSL before (each tree ignores
# the other's name)
UNIX_BUILD_FLAGS = ["FROZEN_MANIFEST=", "MICROPY_PY_BTREE=0", "MICROPY_PY_SSL=0",
                    "MICROPY_PY_USSL=0", "MICROPY_SSL_MBEDTLS=0", "MICROPY_PY_FFI=0"]

pytestmark = pytest.mark.skipif(
    not (Path(MICROPY_DIR) / "ports" / "unix" / "Makefile").is_file(),
    reason="MICROPY_DIR does not point at a MicroPython source tree (set it to build the unix "
           "port with modules/kpu; see modules/kpu/README.md)")


def build_unix_port(tmp_path_factory: pytest.TempPathFactory, *flags: str) -> Path:
    """The unix port's `micropython` built with USER_C_MODULES=modules in a temporary folder."""
    build = tmp_path_factory.mktemp("mpy-unix") / "build"
    cmd = ["make", "-C", str(Path(MICROPY_DIR) / "ports" / "unix"), "-j2", f"BUILD={build}",
           f"USER_C_MODULES={REPO / 'modules'}", *UNIX_BUILD_FLAGS, *flags]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    binary = build / "micropython"
    assert binary.is_file()
    return binary


@pytest.fixture(scope="module")
def micropython(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """With both modules (KPU takes Images, KPU.fmap returns one)."""
    return build_unix_port(tmp_path_factory)


@pytest.fixture(scope="module")
def micropython_without_image(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """With the KPU module only (buffers in, memoryviews out)."""
    return build_unix_port(tmp_path_factory, "MAIXKPU_IMAGE=0")


@pytest.fixture(scope="module")
def flash_image(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 16 MiB flash image with the face kfpkg written in (the model at 0x300000)."""
    from maixkpu.maixpy.flash import HostFlash

    flash = HostFlash()
    flash.load_kfpkg(shared_model(FACE_KFPKG))
    path = tmp_path_factory.mktemp("flash") / "flash.bin"
    path.write_bytes(flash.read(0, flash.size))
    return path


def run_micropython(binary: Path, script: Path, flash: Path, *args: str) -> str:
    env = dict(os.environ, MAIXKPU_FLASH=str(flash))
    done = subprocess.run([str(binary), script.name, *args], cwd=script.parent, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def run_host(script: Path, flash: Path, *args: str) -> str:
    """The same script under CPython with `KPU` = the host module reading the same flash and
    `image` = the host image module."""
    runner = (
        "import sys\n"
        "from maixkpu.maixpy import image, kpu\n"
        "from maixkpu.maixpy.flash import HostFlash\n"
        "flash = HostFlash()\n"
        "flash.write(0, open(sys.argv[1], 'rb').read())\n"
        "kpu.set_flash(flash)\n"
        "sys.modules['KPU'] = kpu\n"
        "sys.modules['image'] = image\n"
        "script = sys.argv[2]\n"
        "sys.argv = sys.argv[2:]\n"
        "exec(compile(open(script).read(), script, 'exec'), {'__name__': '__main__'})\n")
    done = subprocess.run([sys.executable, "-c", runner, str(flash), str(script), *args],
                          cwd=script.parent, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def device_scripts() -> list[Path]:
    return sorted(p for p in DEVICE_SCRIPTS.glob("*.py") if p.with_suffix(".py.exp").is_file())


@pytest.mark.parametrize("script", device_scripts(), ids=lambda p: p.name)
def test_device_script_output(micropython: Path, flash_image: Path, script: Path) -> None:
    out = run_micropython(micropython, script, flash_image)
    assert out == script.with_suffix(".py.exp").read_text()


def test_device_scripts_without_the_image_module(micropython_without_image: Path,
                                                flash_image: Path) -> None:
    """MAIXKPU_IMAGE=0: no `image`, the scripts feed planar buffers and read memoryviews."""
    for script in device_scripts():
        out = run_micropython(micropython_without_image, script, flash_image)
        assert out == script.with_suffix(".py.exp").read_text(), script.name
    probe = ("import KPU as kpu\n"
             "try:\n    import image\nexcept ImportError:\n    print('no image module')\n"
             "t = kpu.load(0x300000)\n"
             "m = kpu.fmap(kpu.forward(t, bytes(3 * 320 * 240), 0), 2)\n"
             "print(type(m).__name__, len(m))\n")
    done = subprocess.run([str(micropython_without_image), "-c", probe],
                          env=dict(os.environ, MAIXKPU_FLASH=str(flash_image)),
                          capture_output=True, text=True, timeout=600)
    assert done.stdout == "no image module\nmemoryview 19200\n", done.stdout + done.stderr


def test_functions_objects_and_errors_match_the_host_module(micropython: Path,
                                                            flash_image: Path) -> None:
    script = PARITY_SCRIPTS / "api_parity.py"
    device = run_micropython(micropython, script, flash_image)
    assert device.rstrip().endswith("done")
    assert device == run_host(script, flash_image)


def test_face_detection_on_the_astronaut_matches_the_host(micropython: Path, flash_image: Path,
                                                          tmp_path: Path) -> None:
    np = pytest.importorskip("numpy")
    pil = pytest.importorskip("PIL.Image")
    skimage_data = pytest.importorskip("skimage.data")
    photo = Path(skimage_data.__file__).parent / "astronaut.png"
    # 4:3 centre band of the 512x512 photo scaled to the model's 320x240, planar R, G, B
    img = pil.open(photo).convert("RGB").crop((0, 64, 512, 448)).resize((320, 240),
                                                                         pil.BILINEAR)
    planar = tmp_path / "astronaut.bin"
    planar.write_bytes(np.ascontiguousarray(np.asarray(img).transpose(2, 0, 1)).tobytes())
    script = PARITY_SCRIPTS / "face_astronaut.py"
    model = str(shared_model(FACE_KMODEL))
    device = run_micropython(micropython, script, flash_image, model, str(planar))
    assert device == run_host(script, flash_image, model, str(planar))
    assert "1 faces" in device.splitlines()  # the astronaut's face, once


def test_image_module_matches_the_host_module(micropython: Path, flash_image: Path,
                                              tmp_path: Path) -> None:
    """Constructors, reprs, pixels, drawing, conversions, geometry, BMP files and errors."""
    script = PARITY_SCRIPTS / "image_parity.py"
    (tmp_path / "device").mkdir()
    (tmp_path / "host").mkdir()
    device = run_micropython(micropython, script, flash_image, str(tmp_path / "device"))
    assert device.rstrip().endswith("done")
    assert device == run_host(script, flash_image, str(tmp_path / "host"))
    # both wrote the same BMP files
    for name in ("rgb.bmp", "gray.BMP", "roi.bmp"):
        assert (tmp_path / "device" / name).read_bytes() == (tmp_path / "host" / name).read_bytes()


def test_kpu_on_images_matches_the_host(micropython: Path, flash_image: Path,
                                        tmp_path: Path) -> None:
    """Face detection on an Image loaded from a BMP of the astronaut, pix_ai checks, feature
    maps as grayscale Images viewing the map (an in-place op then a second fmap; the Images
    after fmap_free and deinit), MNIST on a gray Image (MaixPy's fmap.py pipeline)."""
    pil = pytest.importorskip("PIL.Image")
    skimage_data = pytest.importorskip("skimage.data")
    photo = Path(skimage_data.__file__).parent / "astronaut.png"
    bmp = tmp_path / "astronaut.bmp"
    pil.open(photo).convert("RGB").crop((0, 64, 512, 448)).resize(
        (320, 240), pil.BILINEAR).save(bmp)
    args = (str(tmp_path), str(shared_model(FACE_KMODEL)), str(bmp),
            str(shared_model(MNIST_KMODEL)))
    script = PARITY_SCRIPTS / "image_kpu.py"
    device = run_micropython(micropython, script, flash_image, *args)
    assert device.rstrip().endswith("done")
    assert device == run_host(script, flash_image, *args)
    assert "1 faces" in device.splitlines()
    assert "[MAIXPY]kpu: img w=160,h=120, but model w=320,h=240" in device.splitlines()
    lines = device.splitlines()
    assert {"map after stretch True", "shared 200 200 17 17", "drawn 33 33 64 255",
            "next run leaves the map True"} <= set(lines)
    again = next(ln for ln in lines if ln.startswith("fmap after stretch "))
    stretched = next(ln for ln in lines if ln.startswith("stretched "))
    assert again == "fmap after stretch " + stretched.split()[1] + " True"
