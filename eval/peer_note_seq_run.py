"""Magenta note_seq's chord inference on MIDI files: the peer side of eval/peer_note_seq.py.

Runs inside the peer's own venv (`make peer`: note-seq 0.0.5 from the registry), never in
tunesmith's: it imports only note_seq, so it is started as a plain script,

    PEER_PYTHON eval/peer_note_seq_run.py < request.json > answer.json

request: {"files": [MIDI paths], "chords_per_bar": 1, "steps_per_quarter": 4}
answer:  {"note_seq": version, "results": [{"chords": [[symbol, onset, end], ...]} | {"error": line}]}
Times are in quarter notes from the MIDI file's time 0, as Magenta's own pipelines use it:
read the MIDI, quantize to `steps_per_quarter`, infer `chords_per_bar` chords per bar (HMM
over key and chord, Viterbi), read the CHORD_SYMBOL annotations back.
"""

import json
import sys


def infer(path: str, *, chords_per_bar: int, steps_per_quarter: int) -> dict:
    import note_seq
    from note_seq.protobuf import music_pb2

    sequence = note_seq.midi_file_to_note_sequence(path)
    quantized = note_seq.quantize_note_sequence(sequence, steps_per_quarter=steps_per_quarter)
    note_seq.infer_chords_for_sequence(quantized, chords_per_bar=chords_per_bar)
    qpm = quantized.tempos[0].qpm if quantized.tempos else 120.0
    end = quantized.total_time * qpm / 60.0
    marks = sorted((ta.time * qpm / 60.0, ta.text) for ta in quantized.text_annotations
                   if ta.annotation_type == music_pb2.NoteSequence.TextAnnotation.CHORD_SYMBOL)
    chords = [[text, onset, (marks[i + 1][0] if i + 1 < len(marks) else end)]
              for i, (onset, text) in enumerate(marks)]
    return {"chords": [c for c in chords if c[2] > c[1]]}


def main() -> None:
    import logging

    logging.getLogger("absl").setLevel(logging.ERROR)
    request = json.load(sys.stdin)
    import note_seq  # noqa: F401  (fail here, once, when the peer venv lacks it)
    from note_seq import version

    results = []
    for path in request["files"]:
        try:
            results.append(infer(path, chords_per_bar=int(request.get("chords_per_bar", 1)),
                                 steps_per_quarter=int(request.get("steps_per_quarter", 4))))
        except Exception as err:  # one tune the peer cannot read is reported, not fatal
            results.append({"error": f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"})
    json.dump({"note_seq": version.__version__, "results": results}, sys.stdout)


if __name__ == "__main__":
    main()
