"""Constants used by several modules, defined once (this module imports nothing heavy)."""

WORKING_SIZE = 512  # long side the default model sees
MULTISCALE = (0.75, 1.0, 1.25)  # the multi-scale test-time augmentation every entry point offers
SINGLE_SCALE = (1.0,)  # one pass at the working size: what a call without multi-scale TTA runs
SUBJECTS = ("all", "main")  # every person, or only the main subject(s): bgremover.subjects
DEFAULT_SUBJECT = "main"  # better than "all" on every benchmark set (docs/experiments/2026-12-generalisation.md)
AUTO = "auto"  # the fastest exported runtime on this CPU: bgremover.runtimes.fastest_cpu_runtime
BACKENDS = ("torch", "onnx", "openvino", AUTO)
PRECISIONS = ("default", "f32", "int8")  # "auto" may trade exactness for speed: bf16 under "default", int8 under "int8"
FLIP_SIDE_SHARE = 0.05  # flip TTA keeps either pass's person in this outer share of columns (imageops.merge_flip)
MAX_FLIP_SHIFT = 2.0  # network pixels: a run block's flip_shift beyond this is a misregistration, not an offset
UPSAMPLERS = ("bilinear", "guided")  # how the network's map reaches the photo's size: bgremover.refine
INT8_FILE = "openvino_int8.xml"  # a model folder's OpenVINO int8 model (with its .bin): bgremover.deploy.openvino_int8
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff", ".gif", ".avif", ".heic", ".heif")
OUTPUT_IMAGE_SUFFIXES = (".png", ".webp", ".jpg", ".jpeg")  # ``cut -o NAME.png``: one photo into that file
PHOTO_FORMATS = ("png", "webp", "jpg")  # ``cut --photo-format``: the cut-outs written into an output folder
# every PNG bgremover writes: zlib level 3, about a third of Pillow's default level 6's time for a file
# about a tenth larger (a 1600×1200 cut-out; python -m benchmarks.startup)
PNG_OPTIONS = {"format": "PNG", "compress_level": 3}
VIDEO_SUFFIXES = (".mp4", ".mov", ".webm", ".mkv", ".avi", ".m4v", ".mpg", ".mpeg", ".ogv")
VIDEO_OUTPUT_SUFFIXES = (".webm", ".mov", ".mp4", ".zip")
DEFAULT_RECIPE = "configs/default-finetune.yaml"  # the committed training recipe, from a checkout's root
