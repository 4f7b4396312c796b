"""nncase 1.9 driver, run by maixkpu.compile with the Python 3.10 of the nncase environment.

It imports nothing from maixkpu (that package may not be installed there). Usage:

    python3.10 driver.py REQUEST.json

REQUEST is {"op": "compile", ...} or {"op": "simulate", ...} (see compile_model and simulate).
On failure it prints "DRIVER-ERROR: <message>" as the last stderr line and exits with 3.
"""
from __future__ import annotations

import json
import sys
import time
import traceback


def _prepare_onnx(path: str, strip_final_sigmoid: bool) -> bytes:
    import onnx

    model = onnx.load(path)
    if strip_final_sigmoid:
        outputs = {o.name for o in model.graph.output}
        kept = []
        for node in model.graph.node:
            if node.op_type == "Sigmoid" and node.output[0] in outputs:
                # the sigmoid's input becomes the graph output under the output's name
                for other in model.graph.node:
                    for i, name in enumerate(other.output):
                        if name == node.input[0]:
                            other.output[i] = node.output[0]
                    for i, name in enumerate(other.input):
                        if name == node.input[0]:
                            other.input[i] = node.output[0]
                continue
            kept.append(node)
        del model.graph.node[:]
        model.graph.node.extend(kept)
    # nncase's importer needs the shape of every intermediate value
    del model.graph.value_info[:]
    model = onnx.shape_inference.infer_shapes(model)
    return model.SerializeToString()


def compile_model(req: dict) -> dict:
    import nncase
    import numpy as np

    opts = nncase.CompileOptions()
    opts.target = "k210"
    opts.input_type = req["input_type"]
    opts.input_shape = list(req["input_shape"])
    opts.input_layout = "NCHW"
    opts.output_layout = "NCHW"
    opts.preprocess = bool(req["preprocess"])
    opts.input_range = list(req["input_range"])
    opts.mean = list(req["mean"])
    opts.std = list(req["std"])
    opts.swapRB = False
    opts.output_type = req.get("output_type", "float32")
    opts.dump_ir = False
    opts.dump_asm = bool(req.get("dump_dir"))
    if req.get("dump_dir"):
        opts.dump_dir = req["dump_dir"]
    compiler = nncase.Compiler(opts)
    compiler.import_onnx(_prepare_onnx(req["onnx"], req.get("strip_final_sigmoid", False)),
                         nncase.ImportOptions())
    calib = np.load(req["calib"])
    ptq = nncase.PTQTensorOptions()
    ptq.samples_count = int(calib.shape[0])
    ptq.set_tensor_data(np.ascontiguousarray(calib).tobytes())
    compiler.use_ptq(ptq)
    compiler.compile()
    kmodel = compiler.gencode_tobytes()
    with open(req["out"], "wb") as f:
        f.write(kmodel)
    return {"size": len(kmodel)}


def simulate(req: dict) -> dict:
    import nncase
    import numpy as np

    with open(req["kmodel"], "rb") as f:
        kmodel = f.read()
    sim = nncase.Simulator()
    sim.load_model(kmodel)
    results = {}
    for k, path in enumerate(req["inputs"]):
        sim.set_input_tensor(0, nncase.RuntimeTensor.from_numpy(np.load(path)))
        sim.run()
        for i in range(sim.outputs_size):
            results[f"run{k}_out{i}"] = sim.get_output_tensor(i).to_numpy()
    np.savez(req["out"], **results)
    return {"runs": len(req["inputs"])}


def main(argv: list[str]) -> int:
    with open(argv[1]) as f:
        req = json.load(f)
    start = time.time()
    try:
        result = {"compile": compile_model, "simulate": simulate}[req["op"]](req)
    except Exception as exc:  # reported to the caller, which explains known failures
        traceback.print_exc()
        message = str(exc).strip().replace("\n", " ") or type(exc).__name__
        print(f"DRIVER-ERROR: {message}", file=sys.stderr)
        return 3
    result["seconds"] = round(time.time() - start, 3)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
