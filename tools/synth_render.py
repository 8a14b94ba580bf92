"""Render people with exactly known posture angles, for accuracy tests (the `synth` extra).

    pip install -e ".[synth]"      # torch and anny (a MakeHuman body model, Apache-2.0)
    python tools/synth_render.py OUT_DIR [--scenes 6] [--seed 1]
    python tools/synth_render.py OUT_DIR --kind varied --scenes 200 --seed 101
    python tools/synth_render.py --demo samples/demo_slouch.mp4

Each scene is one random body (shape, standing or sitting, camera distance, height and yaw
jitter, background) posed neutral and then with a known neck flexion / head-forward push and a known shoulder
raise, seen by a side camera and by a front "laptop webcam" (about 70 cm away, a little above
the eyes, pitched down). The ground truth comes from the body mesh's own keypoints (anny's
COCO regressor: mesh-based ears and shoulders, the acromion as MediaPipe sees it), projected
by the same camera, and goes to OUT_DIR/truth.json beside the PNG renders. A numpy painter's
algorithm with Lambert shading and a skin colour draws the untextured body.

``--kind varied`` makes a wider set for measuring accuracy at scale: each scene stands (neutral,
forward, standing slump, raise) or sits (upright neutral, forward, slumped with a rounded back,
reclined with the trunk tipped back and the head forward of it, raise); the side camera stands
anywhere from seat height to above the head, on either side of the person, pitched to look at
the upper body; the front webcam sits from below the eyes (a laptop) to above them (a monitor),
pitched 0-30 degrees down, at 0.5-1.0 m; focal lengths, yaw and skin tone vary too. Every choice
comes from the seeded RNG, so a seed reproduces the set. Its truth adds ``trunk_deg`` (hip
mid-point to shoulder mid-point from vertical in the sagittal plane, + forward),
``neck_rel_trunk_deg`` (``neck_deg`` less ``trunk_deg``) and the camera's ``camera_pitch_deg``
(+ looking down) and ``camera_height_m`` (above the ears' mid-point); each record also carries the
posture ``kind`` (standing, seated, slumped, reclined), the camera's parameters and
``keypoints_xy``, every COCO keypoint of the mesh projected by the camera (pixels, in or out of
the picture: where a bench may crop or cover the knees).
"""

from __future__ import annotations

import argparse
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

os.environ.setdefault("ANNY_CACHE_DIR", str(Path.home() / ".cache" / "anny"))

SIZE = (480, 360)  # width, height of the renders
SKIN = np.array([120, 150, 205], dtype=np.float64)  # BGR


def _rot(axis: str, degrees: float) -> np.ndarray:
    a = math.radians(degrees)
    c, s = math.cos(a), math.sin(a)
    m = np.eye(4)
    i, j = {"x": (1, 2), "y": (0, 2), "z": (0, 1)}[axis]
    m[i, i], m[i, j], m[j, i], m[j, j] = c, -s, s, c
    if axis == "y":
        m[0, 2], m[2, 0] = s, -s
    return m


@dataclass(frozen=True)
class Posture:
    neck_deg: float = 0.0  # neck01 flexion
    push_deg: float = 0.0  # head forward with the gaze level: neck01 +push, head -push
    raise_left_deg: float = 0.0  # clavicle.L raise: the left shoulder up
    spine_deg: float = 0.0  # spine02 flexion: a rounded back
    sitting: bool = False  # thighs forward, shins down
    round_deg: float = 0.0  # more rounding, shared by spine04, spine03 and spine01 (a slump)
    recline_deg: float = 0.0  # spine05 extension: the trunk tipped back from the pelvis

    def as_record(self, full: bool) -> dict[str, float | bool]:
        """The posture's parameters for truth.json (the classic set keeps its original five)."""
        fields = dict(self.__dict__)
        if not full:
            fields = {k: v for k, v in fields.items() if k not in ("round_deg", "recline_deg") or v}
        return fields


class Body:
    def __init__(self, phenotype: dict[str, float]) -> None:
        import anny
        import torch

        self.torch = torch
        self.model = anny.Anny().to(dtype=torch.float32)
        self.keypoints = anny.KeypointsRegressor.coco(self.model)
        self.labels = list(self.keypoints.labels)
        self.phenotype = phenotype
        self.faces = np.asarray(self.model.faces)

    def pose(self, posture: Posture) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        torch, bones = self.torch, list(self.model.bone_labels)
        pose = torch.eye(4)[None, None].repeat(1, self.model.bone_count, 1, 1)

        def set_bone(name: str, matrix: np.ndarray) -> None:
            index = bones.index(name)
            pose[0, index] = torch.tensor(matrix, dtype=torch.float32) @ pose[0, index]

        for side, sign in (("L", 1.0), ("R", -1.0)):  # arms down from the A-pose
            set_bone(f"upperarm01.{side}", _rot("y", sign * 50.0))
        if posture.sitting:
            for side in ("L", "R"):
                set_bone(f"upperleg01.{side}", _rot("x", -90.0))
                set_bone(f"lowerleg01.{side}", _rot("x", 90.0))
        if posture.recline_deg:
            set_bone("spine05", _rot("x", -posture.recline_deg))
        if posture.round_deg:
            for name in ("spine04", "spine03", "spine01"):
                set_bone(name, _rot("x", posture.round_deg / 3.0))
        set_bone("spine02", _rot("x", posture.spine_deg))
        set_bone("neck01", _rot("x", posture.neck_deg + posture.push_deg))
        set_bone("head", _rot("x", -posture.push_deg))
        set_bone("clavicle.L", _rot("y", -posture.raise_left_deg))
        with torch.no_grad():
            out = self.model(pose_parameters=pose, phenotype_kwargs=self.phenotype)
            points = self.keypoints(out)[0].numpy().astype(np.float64)
        vertices = out["vertices"][0].numpy().astype(np.float64)
        return vertices, {label: points[i] for i, label in enumerate(self.labels)}


@dataclass(frozen=True)
class Camera:
    """A pinhole camera at ``position`` looking at ``target`` (world: x = the person's left,
    y = backward, z = up)."""

    position: np.ndarray
    target: np.ndarray
    focal: float = 420.0

    def axes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        forward = self.target - self.position
        forward = forward / np.linalg.norm(forward)
        right = np.cross(forward, np.array([0.0, 0.0, 1.0]))
        right = right / np.linalg.norm(right)
        down = np.cross(forward, right)
        return right, down, forward

    def project(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        right, down, forward = self.axes()
        rel = points - self.position
        depth = rel @ forward
        xy = np.stack([rel @ right, rel @ down], axis=-1) * (self.focal / depth[..., None])
        return xy + np.array([SIZE[0] / 2.0, SIZE[1] / 2.0]), depth

    def pitch_deg(self) -> float:
        """How far the optical axis points below horizontal (+ looking down)."""
        forward = self.axes()[2]
        return math.degrees(math.asin(-float(forward[2])))


def render(vertices: np.ndarray, faces: np.ndarray, camera: Camera, background: tuple[int, int, int],
           skin: np.ndarray = SKIN) -> np.ndarray:
    xy, depth = camera.project(vertices)
    tri = vertices[faces]
    normals = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    normals /= np.linalg.norm(normals, axis=1, keepdims=True) + 1e-12
    light = camera.position - tri.mean(axis=1)
    light /= np.linalg.norm(light, axis=1, keepdims=True)
    shade = np.clip(np.abs((normals * light).sum(axis=1)), 0.0, 1.0) * 0.75 + 0.25
    order = np.argsort(-depth[faces].mean(axis=1))  # far to near
    image = np.empty((SIZE[1], SIZE[0], 3), np.uint8)
    image[:] = background
    polygons = np.round(xy[faces] * 16).astype(np.int32)  # 4 bits of sub-pixel precision
    for index in order:
        colour = tuple(int(c) for c in np.clip(skin * shade[index], 0, 255))
        cv2.fillConvexPoly(image, polygons[index], colour, lineType=cv2.LINE_AA, shift=4)
    return image


def _sagittal_deg(vector: np.ndarray) -> float:
    """A vector's angle from vertical in the body's sagittal (y-z) plane, + forward (-y)."""
    return math.degrees(math.atan2(-vector[1], vector[2]))


def truth_of(points: dict[str, np.ndarray], camera: Camera, extended: bool = False) -> dict[str, float]:
    """Exact angles: the 3D neck angle in the sagittal plane, and the shoulder tilt and head roll
    as the camera sees them (computed the way headwatch's metrics define them). ``extended`` adds
    the trunk's angle, the neck's angle relative to the trunk and the camera's pitch and height."""
    ear = (points["left_ear"] + points["right_ear"]) / 2.0
    shoulder = (points["left_shoulder"] + points["right_shoulder"]) / 2.0
    hip = (points["left_hip"] + points["right_hip"]) / 2.0
    out = {"neck_deg": _sagittal_deg(ear - shoulder)}
    if extended:
        out["trunk_deg"] = _sagittal_deg(shoulder - hip)
        out["neck_rel_trunk_deg"] = out["neck_deg"] - out["trunk_deg"]
        out["camera_pitch_deg"] = camera.pitch_deg()
        out["camera_height_m"] = float(camera.position[2] - ear[2])
    (left_sh, right_sh, left_ear, right_ear), _ = camera.project(np.stack(
        [points["left_shoulder"], points["right_shoulder"], points["left_ear"], points["right_ear"]]))
    for name, left, right in (("shoulder_tilt_deg", left_sh, right_sh), ("head_roll_deg", left_ear, right_ear)):
        dx, dy = left - right
        out[name] = math.degrees(math.atan2(dy, abs(dx)))
    return out


def cameras(rng: np.random.Generator, head_height: float) -> dict[str, Camera]:
    yaw = rng.uniform(-8.0, 8.0)
    side_distance = rng.uniform(1.6, 2.0)
    a = math.radians(yaw)
    side = Camera(position=np.array([-side_distance * math.cos(a), side_distance * math.sin(a), head_height - 0.3]),
                  target=np.array([0.0, 0.0, head_height - 0.35]))
    front_distance = rng.uniform(0.65, 0.8)
    eye = head_height - 0.05
    front = Camera(position=np.array([rng.uniform(-0.05, 0.05), -front_distance, eye + rng.uniform(0.03, 0.10)]),
                   target=np.array([0.0, 0.0, eye - 0.14]), focal=300.0)
    return {"side": side, "front": front}


# Skin tones (BGR) a varied scene's colour is mixed between.
LIGHT_SKIN = np.array([150.0, 180.0, 225.0])
DARK_SKIN = np.array([55.0, 80.0, 120.0])
# Keypoints that must be in frame in every variant of a scene, per camera.
FRAMED = {"side": ("nose", "left_ear", "right_ear", "left_shoulder", "right_shoulder", "left_hip", "right_hip"),
          "front": ("nose", "left_ear", "right_ear", "left_shoulder", "right_shoulder")}
FRAME_MARGIN = 12.0  # pixels


def varied_postures(rng: np.random.Generator, sitting: bool) -> dict[str, tuple[str, Posture]]:
    """variant -> (posture kind, posture) for one scene of the varied set."""
    base = float(rng.uniform(-4, 4))  # the person's own neutral neck carriage
    base_kind = "seated" if sitting else "standing"

    def push() -> float:
        return float(rng.uniform(0, 10))

    variants = {
        "neutral": (base_kind, Posture(neck_deg=base, sitting=sitting)),
        "forward": (base_kind, Posture(neck_deg=base + float(rng.uniform(4, 18)), push_deg=push(),
                                       raise_left_deg=float(rng.uniform(-5, 5)), spine_deg=float(rng.uniform(0, 6)),
                                       sitting=sitting)),
        # A slump: a rounded back (the pelvis may tip back a little) and the head forward.
        "slump": ("slumped", Posture(neck_deg=base + float(rng.uniform(2, 14)), push_deg=push(),
                                     spine_deg=float(rng.uniform(0, 6)), round_deg=float(rng.uniform(6, 24)),
                                     recline_deg=float(rng.uniform(-4, 8)), sitting=sitting)),
    }
    if sitting:  # slid down in the chair: the trunk behind vertical, the neck flexed forward of it
        variants["recline"] = ("reclined", Posture(neck_deg=base + float(rng.uniform(10, 30)), push_deg=push(),
                                                   round_deg=float(rng.uniform(0, 15)),
                                                   recline_deg=float(rng.uniform(12, 32)), sitting=True))
    variants["raise"] = (base_kind, Posture(neck_deg=base + float(rng.uniform(0, 6)),
                                            raise_left_deg=float(rng.choice([-1, 1]) * rng.uniform(12, 25)),
                                            sitting=sitting))
    return variants


def _framed(camera: Camera, poses: list[dict[str, np.ndarray]], view: str) -> bool:
    """Whether the keypoints that matter, and the top of the head, are inside every render."""
    for points in poses:
        ear = (points["left_ear"] + points["right_ear"]) / 2.0
        marks = np.stack([points[name] for name in FRAMED[view]] + [ear + np.array([0.0, 0.0, 0.16])])
        xy, depth = camera.project(marks)
        if (depth < 0.35).any():
            return False
        if (xy < FRAME_MARGIN).any() or (xy[:, 0] > SIZE[0] - FRAME_MARGIN).any() or (
                xy[:, 1] > SIZE[1] - FRAME_MARGIN).any():
            return False
    return True


def varied_cameras(rng: np.random.Generator, poses: list[dict[str, np.ndarray]], floor: float) -> dict[str, Camera]:
    """A side camera from seat height to above the head, on either side, aimed at the upper body,
    and a front webcam from below the eyes to above them, pitched 0-30 degrees down; drawn until
    the head, shoulders (and from the side the hips) are in frame in every variant."""
    neutral = poses[0]
    nose_z = float(neutral["nose"][2])
    hip = (neutral["left_hip"] + neutral["right_hip"]) / 2.0
    shoulder = (neutral["left_shoulder"] + neutral["right_shoulder"]) / 2.0
    eye_z = float((neutral["left_eye"][2] + neutral["right_eye"][2]) / 2.0)
    side = front = None
    for _ in range(200):
        distance, yaw = float(rng.uniform(1.4, 2.6)), math.radians(float(rng.uniform(-10, 10)))
        sign = float(rng.choice([-1.0, 1.0]))  # -1: sees the person's right side
        centre_y = float((hip[1] + shoulder[1]) / 2.0)
        height = float(rng.uniform(floor + 0.45, nose_z + 0.4))
        aim = float(rng.uniform(hip[2] + 0.1, nose_z - 0.1))
        side = Camera(position=np.array([sign * distance * math.cos(yaw), centre_y + distance * math.sin(yaw), height]),
                      target=np.array([0.0, centre_y, aim]), focal=float(rng.uniform(380, 520)))
        if _framed(side, poses, "side"):
            break
    for _ in range(200):
        distance, yaw = float(rng.uniform(0.5, 1.0)), math.radians(float(rng.uniform(-8, 8)))
        pitch = math.radians(float(rng.uniform(0, 30)))
        position = np.array([distance * math.sin(yaw) + float(rng.uniform(-0.05, 0.05)), -distance * math.cos(yaw),
                             eye_z + float(rng.uniform(-0.15, 0.25))])
        look = np.array([-math.sin(yaw) * math.cos(pitch), math.cos(yaw) * math.cos(pitch), -math.sin(pitch)])
        front = Camera(position=position, target=position + look, focal=float(rng.uniform(260, 360)))
        if _framed(front, poses, "front"):
            break
    assert side is not None and front is not None
    for view, camera in (("side", side), ("front", front)):
        if not _framed(camera, poses, view):
            print(f"warning: no {view} camera framed the upper body in every variant; using the last one drawn")
    return {"side": side, "front": front}


def _camera_record(camera: Camera) -> dict[str, float | list[float]]:
    return {"position": [round(float(v), 3) for v in camera.position],
            "target": [round(float(v), 3) for v in camera.target],
            "focal": round(camera.focal, 1), "pitch_deg": round(camera.pitch_deg(), 2)}


def _projected(points: dict[str, np.ndarray], camera: Camera) -> dict[str, list[float]]:
    """Every keypoint where the camera draws it (pixels; may lie outside the picture), so that a
    bench can crop or cover a body part knowing where it really is."""
    labels = list(points)
    xy, _ = camera.project(np.stack([points[label] for label in labels]))
    return {label: [round(float(x), 1), round(float(y), 1)] for label, (x, y) in zip(labels, xy, strict=True)}


def random_phenotype(rng: np.random.Generator, age: tuple[float, float],
                     spread: tuple[float, float]) -> dict[str, float]:
    """A random body; the draws keep their order, so a seed renders the same bodies as before."""
    phenotype = {"gender": float(rng.uniform(0, 1)), "age": float(rng.uniform(*age))}
    for name in ("muscle", "weight", "height", "proportions"):
        phenotype[name] = float(rng.uniform(*spread))
    return phenotype


def generate_varied(out_dir: Path, scenes: int, seed: int) -> None:
    """The wider set (``--kind varied``): see the module's docstring."""
    rng = np.random.default_rng(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    records = []
    for scene in range(scenes):
        body = Body(random_phenotype(rng, age=(0.4, 0.9), spread=(0.2, 0.8)))
        sitting = bool(rng.uniform() < 0.65)
        variants = varied_postures(rng, sitting)
        posed = {variant: body.pose(posture) for variant, (_, posture) in variants.items()}
        floor = float(posed["neutral"][0][:, 2].min())
        skin = LIGHT_SKIN + (DARK_SKIN - LIGHT_SKIN) * float(rng.uniform(0, 1))
        blue, green, red = (int(c) for c in rng.integers(30, 230, 3))
        background = (blue, green, red)
        cams = varied_cameras(rng, [points for _, points in posed.values()], floor)
        for view, camera in cams.items():
            neutral_name = f"s{scene:03d}_{view}_neutral.png"
            for variant, (kind, posture) in variants.items():
                vertices, points = posed[variant]
                name = f"s{scene:03d}_{view}_{variant}.png"
                cv2.imwrite(str(out_dir / name), render(vertices, body.faces, camera, background, skin))
                truth = truth_of(points, camera, extended=True)
                records.append({"file": name, "scene": scene, "view": view, "variant": variant,
                                "neutral": neutral_name, "kind": kind, "posture": posture.as_record(full=True),
                                "camera": _camera_record(camera),
                                "truth": {k: round(v, 3) for k, v in truth.items()},
                                "keypoints_xy": _projected(points, camera)})
        print(f"scene {scene}: {len(records)} renders", flush=True)
    (out_dir / "truth.json").write_text(json.dumps({"renders": records}, indent=1) + "\n")


def generate(out_dir: Path, scenes: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    records = []
    for scene in range(scenes):
        body = Body(random_phenotype(rng, age=(0.45, 0.8), spread=(0.3, 0.7)))
        sitting = scene % 2 == 1
        variants = {"neutral": Posture(sitting=sitting),
                    # A desk slouch: the neck flexes 4-14 degrees, the head may be pushed forward
                    # and the back may round a little.
                    "forward": Posture(neck_deg=float(rng.uniform(4, 14)), push_deg=float(rng.uniform(0, 8)),
                                       raise_left_deg=float(rng.uniform(-5, 5)), spine_deg=float(rng.uniform(0, 6)),
                                       sitting=sitting),
                    "raise": Posture(neck_deg=float(rng.uniform(0, 6)),
                                     raise_left_deg=float(rng.choice([-1, 1]) * rng.uniform(12, 25)), sitting=sitting)}
        background = tuple(int(c) for c in rng.integers(40, 220, 3))
        _, neutral_points = body.pose(variants["neutral"])
        head_height = float(neutral_points["nose"][2])
        for view, camera in cameras(rng, head_height).items():
            neutral_name = f"s{scene:02d}_{view}_neutral.png"
            for variant, posture in variants.items():
                vertices, points = body.pose(posture)
                name = f"s{scene:02d}_{view}_{variant}.png"
                cv2.imwrite(str(out_dir / name), render(vertices, body.faces, camera, background))
                records.append({"file": name, "scene": scene, "view": view, "variant": variant,
                                "neutral": neutral_name, "posture": posture.as_record(full=False),
                                "truth": {k: round(v, 3) for k, v in truth_of(points, camera).items()}})
        print(f"scene {scene}: {len(records)} renders")
    (out_dir / "truth.json").write_text(json.dumps({"renders": records}, indent=1) + "\n")


def demo(path: Path, seconds: float = 60.0, fps: float = 5.0) -> None:
    """A front-webcam clip: upright for 8 s, slouching (the neck flexing 18 degrees, the head
    pushed forward) from 8 s to 52 s, upright again: with the default 30 s persistence, one
    real alert mid-slouch and its recovery."""
    body = Body({"gender": 0.3, "age": 0.6, "muscle": 0.5, "weight": 0.5, "height": 0.5, "proportions": 0.5})
    _, points = body.pose(Posture())
    camera = cameras(np.random.default_rng(7), float(points["nose"][2]))["front"]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, SIZE)
    for index in range(int(seconds * fps)):
        t = index / fps
        amount = float(np.clip(min(t - 8.0, 52.0 - t) / 2.0, 0.0, 1.0))  # 2 s ramps in and out
        sway = 1.5 * math.sin(t * 0.7)
        posture = Posture(neck_deg=18.0 * amount + sway, push_deg=8.0 * amount, raise_left_deg=sway,
                          spine_deg=4.0 * amount, sitting=True)
        vertices, _ = body.pose(posture)
        writer.write(render(vertices, body.faces, camera, (170, 160, 150)))
    writer.release()
    print(f"wrote {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path, nargs="?")
    parser.add_argument("--scenes", type=int, default=6)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--kind", choices=("classic", "varied"), default="classic",
                        help="classic: the committed CI set's scenes; varied: postures and cameras at scale")
    parser.add_argument("--demo", type=Path, help="write the demo clip here instead")
    args = parser.parse_args()
    if args.demo is not None:
        demo(args.demo)
    elif args.out is not None:
        (generate_varied if args.kind == "varied" else generate)(args.out, args.scenes, args.seed)
    else:
        parser.error("give OUT_DIR or --demo FILE")


if __name__ == "__main__":
    main()
