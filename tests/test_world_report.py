#!/usr/bin/python3
"""scripts/world_report.py's gold-path diagnostic on a hand-made run: two rollouts whose steps, masks
and probabilities are chosen so every count below is worked out by hand (see the comments)."""
import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
import world_report  # noqa: E402


def write(path, lines):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(json.dumps(x) + "\n" for x in lines)


class GoldPath(unittest.TestCase):
    def test_counts(self):
        with tempfile.TemporaryDirectory() as out:
            write(os.path.join(out, "world/data/train.jsonl"), [{"id": "a"}, {"id": "b"}])
            write(os.path.join(out, "world/reference/ids.jsonl"), [[1, 2, 3, 4, 5], [1, 2]])
            with open(os.path.join(out, "world/data/train.jsonl"), "a", encoding="utf-8") as f:
                f.write("\n")  # a blank line is not a problem
            write(os.path.join(out, "seed-1/lightreasoner/config.resolved.json"), [{"selection": {"beta": 0.5}}])
            step = lambda t, kl, ids, pe, p, top: {"t": t, "kl": kl, "ids": ids, "pe": pe, "p": p, "amateur_top_id": top}
            write(os.path.join(out, "seed-1/no-selection/contrast.jsonl"), [
                # Rollout "a" goes wrong at t = 2 (9 instead of 3).
                {"id": "a", "completion_ids": [1, 2, 9, 4, 5], "steps": [
                    step(0, 2.0, [1], [1.0], [1.0], 1),                    # one-token mask: not uncertain
                    step(1, 0.9, [2, 7], [0.6, 0.4], [0.3, 0.7], 2),       # selected; expert and amateur right, contrast wrong
                    step(2, 0.3, [9, 3], [0.55, 0.45], [0.2, 0.8], 9),     # first error; only the contrast right
                    step(3, 1.0, [4, 8], [0.5, 0.5], [0.5, 0.5], 4)]},     # past the first error: not counted
                # Rollout "b" follows its reference; one uncertain, unselected step where all but the amateur are right.
                {"id": "b", "completion_ids": [1, 2], "steps": [step(1, 0.1, [2, 5], [0.9, 0.1], [0.6, 0.4], 5)]},
            ])
            c = world_report.gold_path_diagnostics(out, "seed-1", world_report.reference_ids(out))
        self.assertEqual(c, {"uncertain": 3, "uncertain_expert": 2, "uncertain_contrast": 2, "uncertain_amateur": 1,
                             "selected": 1, "selected_expert": 1, "selected_contrast": 0, "selected_amateur": 1,
                             "errors": 1, "error_in_mask": 1, "error_contrast": 1})

    def test_reference_of_another_split_is_refused(self):
        with tempfile.TemporaryDirectory() as out:
            write(os.path.join(out, "world/data/train.jsonl"), [{"id": "a"}, {"id": "b"}])
            write(os.path.join(out, "world/reference/ids.jsonl"), [[1, 2]])
            with self.assertRaises(SystemExit) as raised:
                world_report.reference_ids(out)
            self.assertIn("has 1 lines, expected one per problem", str(raised.exception))

    def test_missing_inputs_give_none(self):
        with tempfile.TemporaryDirectory() as out:
            self.assertIsNone(world_report.reference_ids(out))
            self.assertIsNone(world_report.gold_path_diagnostics(out, "seed-1", None))


if __name__ == "__main__":
    unittest.main()
