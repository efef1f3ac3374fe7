"""Session files: strict loading with messages that say what and where, exact round trips,
atomic saving, and the examples of docs/session-format.md.

The malformed corpus lives in tests/data/malformed/; every file there must have an expected
message fragment below, so adding a file without saying what it should report fails.
"""

from __future__ import annotations

import copy
import json
import os
import re
import stat
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rnnviz.engine.params import Params
from rnnviz.engine.spec import Example, Spec, build
from rnnviz.engine.trace import Config, run
from rnnviz.io import atomic
from rnnviz.io.session_file import (
    MAX_FILE_BYTES,
    NOTATIONS,
    PHASES,
    SessionFile,
    SessionFileError,
    dumps_session,
    load_session,
    loads_session,
    save_session,
    session_to_dict,
    spec_from_dict,
    spec_to_dict,
)

ROOT = Path(__file__).resolve().parents[1]
MALFORMED = ROOT / "tests" / "data" / "malformed"

AI_PLANET = {
    "format": "rnnviz-session",
    "version": 1,
    "name": "AI Planet",
    "input": {
        "text": "AI Planet Bootcamps are free and available to all.",
        "vocab": [
            "<unk>",
            "AI",
            "Planet",
            "Bootcamps",
            "are",
            "free",
            "and",
            "available",
            "to",
            "all",
        ],
        "encoding": "embedding",
        "embedding_size": 3,
    },
    "model": {
        "hidden_size": 2,
        "classes": ["negative", "positive"],
        "head": "sigmoid",
        "loss": "bce",
    },
    "task": {"kind": "many-to-one", "label": "positive"},
    "params": {
        "W_xh": [[0.5, 0.6, 0.7], [0.8, 0.9, 1.0]],
        "W_hh": [[0.1, 0.2], [0.3, 0.4]],
        "b_h": [0.1, 0.2],
        "W_hy": [[0.2, 0.3], [0.4, 0.5]],
        "b_y": [0.3, 0.4],
        "E": [
            [0, 0, 0],
            [0.1, 0.2, 0.3],
            [0.4, 0.5, 0.6],
            [0.7, 0.8, 0.9],
            [0.3, 0.2, 0.1],
            [0.6, 0.5, 0.4],
            [0.9, 0.8, 0.7],
            [0.2, 0.4, 0.6],
            [0.7, 0.8, 0.9],
            [0.4, 0.5, 0.6],
        ],
    },
}


def ai_planet() -> SessionFile:
    return loads_session(json.dumps(AI_PLANET))


def first_hidden_state(spec: Spec) -> np.ndarray:
    built = build(spec)
    return run(built.params, built.sample, built.config).hs[0]


# -- loading what a teacher writes ---------------------------------------------------------------


def test_minimal_file_loads_with_every_default():
    sf = loads_session(
        '{"format": "rnnviz-session", "version": 1, "input": {"text": "the cat sat on the mat"}}'
    )
    assert sf.spec == Spec(text="the cat sat on the mat")
    assert sf.current_params is None and sf.view == {} and sf.history == {}


def test_ai_planet_file_reproduces_the_tutorial_step():
    sf = ai_planet()
    assert sf.spec.config == Config(head="sigmoid", loss="bce")
    # the tutorial: h(1) = tanh([0.48, 0.76]) = [0.44624361, 0.64107696]
    np.testing.assert_allclose(first_hidden_state(sf.spec), [0.44624361, 0.64107696], atol=5e-9)


def test_whole_numbers_in_matrices_are_weights_and_scalars_expand():
    sf = loads_session(
        json.dumps(
            {
                "format": "rnnviz-session",
                "version": 1,
                "input": {"text": "hello", "level": "char", "vocab": ["h", "e", "l", "o"]},
                "model": {"hidden_size": 2},
                "params": {
                    "W_xh": [[1, 0, 0, 0], [0, 1, 0, 0]],
                    "W_hh": 0.5,
                    "b_h": -1,
                    "W_hy": [[1, 2], [3, 4], [5, 6], [7, 8]],
                },
            }
        )
    )
    p = build(sf.spec).params
    assert p.W_hh.tolist() == [[0.5, 0.0], [0.0, 0.5]]
    assert p.b_h.tolist() == [-1.0, -1.0] and p.h0.tolist() == [0.0, 0.0]
    assert p.W_xh.dtype == np.float64


def test_a_utf8_bom_is_accepted():
    text = json.dumps(AI_PLANET).encode("utf-8")
    assert loads_session(b"\xef\xbb\xbf" + text).spec == ai_planet().spec


# -- the malformed corpus -------------------------------------------------------------------------

EXPECTED = {
    "E_without_embedding.json": "params.E: is only used with an embedding",
    "bad_activation.json": "model.activation: expected one of 'tanh'",
    "bad_escape.json": "line 1, column 65: an invalid backslash escape",
    "bad_task.json": "task.kind: expected one of 'many-to-one'",
    "bool_hidden_size.json": "model.hidden_size: expected a whole number from 1 to 512, found true",
    "clipping_zero_threshold.json": "clipping.threshold: must be a number > 0",
    "comment.json": "line 2, column 3: expected a key in double quotes",
    "current_params_missing.json": "state.current_params: W_xh (H × D) is missing",
    "current_params_wrong_shape.json": "state.current_params.W_hh: expected 2 × 2 (H × H), "
    "found 3 × 3",
    "dataset_bad_label.json": "dataset item 2, label: 'meh' is not one of the classes",
    "dataset_missing_text.json": "dataset item 1, text: missing",
    "dataset_not_list.json": "dataset: expected a list of examples",
    "deep_nesting.json": "nested too deeply",
    "duplicate_key.json": "input: the key 'text' appears twice",
    "duplicate_top_key.json": "top level: the key 'input' appears twice",
    "empty.json": "the file is empty",
    "empty_row.json": "params.W_hh row 1: is empty",
    "empty_text.json": "cannot build the network: the text is empty",
    "extra_data.json": "line 2, column 1: unexpected text after the end",
    "float_hidden_size.json": "model.hidden_size: expected a whole number from 1 to 512, "
    "found the number 2.5",
    "future_version.json": "written by a newer rnnviz",
    "history_ragged.json": "state.history.step: has 3 entries but loss has 2",
    "huge_hidden_size.json": "model.hidden_size: expected a whole number from 1 to 512, "
    "found the number 100000",
    "huge_int_seed.json": "init.seed: expected a whole number from 0 to",
    "huge_number.json": "params.b_y item 1: 1e999 is not a finite number (too large",
    "huge_output_size.json": "model.output_size: expected a whole number from 1 to 4096",
    "infinity.json": "params.b_h item 2: Infinity is not a finite number",
    "label_not_class.json": "task.label: 'happy' is not one of the classes negative, positive",
    "label_wrong_vector.json": "label must be a class name or 2 finite numbers",
    "lone_surrogate.json": "input.text: contains a \\u escape that is not a character",
    "loss_head_mismatch.json": "model: the bce loss needs a sigmoid output head",
    "lowercase_not_bool.json": "input.lowercase: expected true or false, found the text 'yes'",
    "matrix_of_strings.json": "params.W_hh row 1, column 1: expected a number, found the text",
    "missing_W_xh.json": "params: W_xh (H × D) is missing",
    "missing_comma.json": "line 2, column 2: expected ','",
    "missing_format.json": "format: missing",
    "missing_input.json": "input: missing",
    "missing_text.json": "input.text: missing",
    "missing_version.json": "version: missing",
    "moderately_deep.json": "task.label item 1: expected a number, found a list",
    "nan.json": "params.W_hh row 1, column 2: NaN is not a finite number",
    "negative_hidden_size.json": "model.hidden_size: expected a whole number from 1 to 512, "
    "found the number -3",
    "negative_infinity.json": "clipping.threshold: -Infinity is not a finite number",
    "non_utf8.json": "line 1, column 66: byte 0xe9 is not UTF-8 text",
    "ragged_matrix.json": "params.W_hh row 2: expected 3 numbers, found 2",
    "raw_control_char.json": "line 1, column 64: a raw control character",
    "sigma_max_negative.json": "init.sigma_max: must be a number >= 0",
    "single_quotes.json": "line 1, column 2: expected a key in double quotes",
    "state_not_object.json": "state: expected an object",
    "string_hidden_size.json": "model.hidden_size: expected a whole number from 1 to 512, "
    "found the text '2'",
    "tag_not_class.json": "task.tags item 3: 'ADJ' is not one of the classes DET, NOUN, VERB",
    "tags_length_mismatch.json": "task.tags: the text has 3 tokens but 2 tags are given",
    "text_not_string.json": "input.text: expected text in double quotes, found the number 42",
    "too_many_tokens.json": "the text has 2001 tokens; rnnviz shows at most 2000",
    "top_level_list.json": "top level: expected an object",
    "top_level_string.json": "top level: expected an object",
    "trailing_comma.json": "line 2, column 26: expected a key in double quotes (JSON allows no "
    "trailing comma",
    "training_nan.json": "training.learning_rate: NaN is not a finite number",
    "training_nested.json": "training.optimizer: expected a number, text, true/false or null",
    "training_unknown_setting.json": "training: unknown training setting 'lr'",
    "truncated_list.json": "the file ends in the middle of a list (truncated?)",
    "truncated_object.json": "the file ends in the middle of an object (truncated?)",
    "truncated_string.json": "the file ends in the middle of a string (truncated?)",
    "truncation_zero.json": "model.truncation: expected a whole number from 1 to 2000 or null",
    "unknown_nested_key.json": "model.hiden_size: unknown key (did you mean 'hidden_size'?)",
    "unknown_param.json": "params.W_xy: unknown key",
    "unknown_top_key.json": "modle: unknown key (did you mean 'model'?)",
    "utf16.json": "the file is UTF-16 text",
    "vector_for_matrix.json": "params.W_xh row 1: expected a list of numbers, found the number",
    "version_string.json": "version: expected the whole number 1, found the text '1'",
    "view_cursor_out_of_range.json": "state.view.cursor: expected a whole number from 0 to 8, "
    "found the number 9",
    "view_unknown_key.json": "state.view.cursorr: unknown key (did you mean 'cursor'?)",
    "vocab_duplicate.json": "input.vocab: 'AI' is listed twice",
    "whitespace_only.json": "the file is empty",
    "wrong_format.json": "this is not an rnnviz session file",
    "wrong_length_b_y.json": "params.b_y: expected 2 numbers (O), found 3 numbers",
    "wrong_shape_E.json": "params.E: expected 10 × 3 (V × D), found 9 × 3",
    "wrong_shape_W_hh.json": "params.W_hh: expected 2 × 2 (H × H), found 3 × 3",
    "wrong_shape_W_xh.json": "params.W_xh: expected 2 × 3 (H × D), found 2 × 2",
    "zero_embedding_size.json": "input.embedding_size: expected a whole number from 1 to 4096",
}


def test_every_corpus_file_has_an_expected_message():
    files = {p.name for p in MALFORMED.iterdir()}
    assert len(files) >= 30
    assert files == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_malformed_file_is_refused_with_a_message_naming_the_problem(name):
    with pytest.raises(SessionFileError) as info:
        load_session(MALFORMED / name)
    assert EXPECTED[name] in str(info.value)
    assert "\n" not in str(info.value)  # one line, ready for a status bar or stderr


def test_a_30_mb_file_is_refused_before_it_is_parsed(tmp_path):
    path = tmp_path / "huge.json"
    filler = " " * (30 * 2**20)
    path.write_text(
        '{"format": "rnnviz-session", "version": 1, ' + filler + '"input": {"text": "a b"}}'
    )
    with pytest.raises(
        SessionFileError,
        match=r"the file is 30\.0 MB; session files are "
        r"limited to 20 MB",
    ):
        load_session(path)
    with pytest.raises(SessionFileError, match="limited to 20 MB"):
        loads_session(path.read_bytes())


def test_missing_file_and_directory_are_session_file_errors(tmp_path):
    with pytest.raises(SessionFileError, match="cannot read .*No such file"):
        load_session(tmp_path / "absent.json")
    with pytest.raises(SessionFileError, match="cannot read"):
        load_session(tmp_path)


def test_session_file_error_is_a_value_error():
    assert issubclass(SessionFileError, ValueError)


# A mutation fuzzer: any JSON value in any place gives a valid session or a SessionFileError.
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5)
    | st.sampled_from(["word", "char", "tanh", "positive", "embedding"]),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)


def _places(doc, prefix=()):
    """Every (path) to a value in ``doc``, objects and lists included."""
    yield prefix
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _places(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _places(v, (*prefix, i))


PLACES = [p for p in _places(AI_PLANET) if p]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(place=st.sampled_from(PLACES), value=JSON_VALUES)
def test_any_value_anywhere_loads_or_gives_a_session_file_error(place, value):
    doc = copy.deepcopy(AI_PLANET)
    target = doc
    for k in place[:-1]:
        target = target[k]
    target[place[-1]] = value
    try:
        sf = loads_session(json.dumps(doc))
    except SessionFileError as e:
        assert str(e)
    else:
        build(sf.spec)  # whatever loads, builds


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_damaged_bytes_give_a_session_file_error_or_a_valid_session(data):
    """Flipped, deleted, inserted bytes and truncation, as a bad disk or editor would do."""
    raw = bytearray(dumps_session(ai_planet()).encode("utf-8"))
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(raw) - 1))
        action = data.draw(st.sampled_from(["flip", "delete", "insert", "truncate"]))
        if action == "flip":
            raw[pos] = data.draw(st.integers(0, 255))
        elif action == "delete":
            del raw[pos]
        elif action == "insert":
            raw.insert(pos, data.draw(st.sampled_from(b'[]{}",:0.9eE-NI\\\xff')))
        else:
            del raw[pos:]
        if not raw:
            break
    try:
        loads_session(bytes(raw))
    except SessionFileError as e:
        assert str(e) and "\n" not in str(e)


# -- round trips ----------------------------------------------------------------------------------


def test_save_load_save_gives_identical_bytes_and_arrays(tmp_path):
    path = tmp_path / "s.json"
    sf = ai_planet()
    save_session(path, sf)
    first = path.read_bytes()
    again = load_session(path)
    save_session(path, again)
    assert path.read_bytes() == first
    assert again.spec == sf.spec
    assert build(again.spec).params.equals(build(sf.spec).params)


AWKWARD = [
    0.1,
    0.2 + 0.1,
    -0.0,
    5e-324,
    2.2250738585072014e-308,
    1.7976931348623157e308,
    1 / 3,
    -2.5e-17,
    123456789.12345679,
    1e16,
    1e-7,
]


def test_changed_weights_round_trip_bit_exactly(tmp_path):
    """Weights after training (any float64, subnormals and -0.0 too) come back bit-exact."""
    sf = ai_planet()
    p = build(sf.spec).params
    rng = np.random.default_rng(7)
    arrays = {
        n: rng.standard_normal(a.shape) * 10.0 ** rng.integers(-300, 300, a.shape)
        for n, a in p.as_dict().items()
    }
    arrays["E"].flat[: len(AWKWARD)] = AWKWARD
    trained = SessionFile(
        sf.spec,
        Params(**arrays),
        {"cursor": 3, "phase": "backward", "selected_unit": 1, "notation": "uvw"},
        {"loss": [1.5, 0.75, float("nan")], "step": [1, 2, 3]},
    )
    path = tmp_path / "trained.json"
    save_session(path, trained)
    loaded = load_session(path)
    assert loaded.current_params.equals(trained.current_params)
    for n, a in arrays.items():  # bit patterns, so -0.0 and 0.0 differ
        assert getattr(loaded.current_params, n).tobytes() == a.tobytes()
    assert loaded.view == trained.view
    assert loaded.history == {"loss": [1.5, 0.75, None], "step": [1, 2, 3]}
    assert dumps_session(loaded) == path.read_text(encoding="utf-8")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False, width=64), min_size=4, max_size=4))
def test_any_finite_float64_weight_round_trips(values):
    spec = ai_planet().spec
    spec = spec.with_(params={**spec.params, "W_hh": [values[:2], values[2:]]})
    text = dumps_session(spec)
    back = loads_session(text)
    assert (
        np.array(back.spec.params["W_hh"]).tobytes() == np.array([values[:2], values[2:]]).tobytes()
    )
    assert dumps_session(back) == text


SPECS = {
    "seeded": Spec(
        text="the quick brown fox jumps", hidden_size=4, seed=3, init="orthogonal", sigma_max=1.5
    ),
    "char": Spec(
        text="hello",
        level="char",
        lowercase=True,
        use_unk=False,
        hidden_size=3,
        config=Config(activation="relu", truncation=2, clip_mode="norm", clip_threshold=0.5),
    ),
    "tagging": Spec(
        text="the cat sat",
        task="many-to-many",
        classes=("DET", "NOUN", "VERB"),
        tags=("DET", None, "VERB"),
        hidden_size=2,
        dataset=(Example("a dog ran", tags=("DET", "NOUN", "VERB")),),
        training={"optimizer": "adam", "learning_rate": 0.01, "steps": 50},
    ),
    "numeric": Spec(
        text="1, 2\n2, 3\n3, 5",
        encoding="numeric",
        task="many-to-one",
        output_size=1,
        label=(8.0,),
        hidden_size=2,
        config=Config(head="identity", loss="mse", reduction="mean"),
    ),
    "numpy params": Spec(
        text="a b a",
        hidden_size=2,
        params={
            "W_xh": np.arange(6.0).reshape(2, 3) / 7,
            "W_hh": np.float64(0.25),
            "W_hy": np.ones((3, 2)),
            "h0": np.array([0.5, -0.5]),
        },
    ),
}


@pytest.mark.parametrize("name", sorted(SPECS))
def test_spec_dict_round_trip(name):
    spec = SPECS[name]
    d = spec_to_dict(spec)
    json.dumps(d, allow_nan=False)  # plain JSON values only
    back = spec_from_dict(json.loads(json.dumps(d)))
    assert dumps_session(back) == dumps_session(spec)
    assert build(back).params.equals(build(spec).params)
    assert build(back).config == build(spec).config


def test_saved_text_is_readable_and_deterministic():
    text = dumps_session(ai_planet())
    assert text == dumps_session(ai_planet())
    assert '"W_hh": [\n      [0.1, 0.2],\n      [0.3, 0.4]\n    ],' in text  # a row per line
    keys = [m.group(1) for m in re.finditer(r'^  "(\w+)":', text, re.M)]
    assert keys == [
        "format",
        "version",
        "name",
        "description",
        "input",
        "model",
        "task",
        "init",
        "params",
        "clipping",
        "training",
        "dataset",
    ]
    assert "NaN" not in text and text.endswith("}\n")


def test_dataset_examples_are_one_per_line():
    text = dumps_session(SPECS["tagging"])
    assert '    {"text": "a dog ran", "tags": ["DET", "NOUN", "VERB"]}\n' in text


def test_session_to_dict_omits_an_empty_state():
    assert "state" not in session_to_dict(ai_planet())
    assert "state" in session_to_dict(SessionFile(ai_planet().spec, view={"cursor": 0}))


# -- saving refuses what it could not read back, and never damages the old file ------------------


def test_saving_non_finite_weights_is_refused_and_keeps_the_old_file(tmp_path):
    path = tmp_path / "s.json"
    save_session(path, ai_planet())
    before = path.read_bytes()
    sf = ai_planet()
    bad = build(sf.spec).params.replace(W_hh=np.array([[np.nan, 0.0], [0.0, 1.0]]))
    with pytest.raises(
        SessionFileError, match="state.current_params.W_hh: contains a number that is not finite"
    ):
        save_session(path, SessionFile(sf.spec, bad))
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["s.json"]


def test_saving_a_spec_that_does_not_build_is_refused():
    with pytest.raises(SessionFileError, match="cannot build the network: the text is empty"):
        dumps_session(Spec(text=""))


def test_saving_a_session_too_big_to_reopen_is_refused(monkeypatch):
    monkeypatch.setattr("rnnviz.io.session_file.MAX_FILE_BYTES", 1000)
    with pytest.raises(
        SessionFileError,
        match=r"the session would be 0\.0 MB, more than the "
        r".* MB rnnviz can open again",
    ):
        dumps_session(ai_planet())


def test_atomic_write_keeps_the_old_file_when_serialisation_fails_midway(tmp_path):
    path = tmp_path / "lecture.json"
    path.write_text("old contents")

    def chunks():
        yield '{"format": "rnnviz-session",'
        raise RuntimeError("the serialiser broke")

    with pytest.raises(RuntimeError, match="serialiser broke"):
        atomic.atomic_write_text(path, chunks())
    assert path.read_text() == "old contents"
    assert os.listdir(tmp_path) == ["lecture.json"]  # the temporary file is gone


def test_atomic_write_keeps_the_old_file_when_the_rename_fails(tmp_path, monkeypatch):
    path = tmp_path / "lecture.json"
    path.write_bytes(b"old")

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", broken_replace)
    with pytest.raises(OSError, match="No space left"):
        atomic.atomic_write_bytes(path, b"new")
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["lecture.json"]


def test_atomic_write_replaces_keeps_permissions_and_follows_symlinks(tmp_path):
    real = tmp_path / "real.json"
    real.write_text("old")
    os.chmod(real, 0o640)
    link = tmp_path / "link.json"
    link.symlink_to(real)
    atomic.atomic_write_text(link, "new ünïcode")
    assert real.read_text(encoding="utf-8") == "new ünïcode"
    assert link.is_symlink()
    assert stat.S_IMODE(os.stat(real).st_mode) == 0o640
    assert sorted(os.listdir(tmp_path)) == ["link.json", "real.json"]


# -- the documentation's examples ----------------------------------------------------------------

DOC = (ROOT / "docs" / "session-format.md").read_text(encoding="utf-8")
DOC_BLOCKS = re.findall(r"```json\n(.*?)```", DOC, re.S)


def test_the_documentation_has_its_examples():
    assert len(DOC_BLOCKS) >= 3


@pytest.mark.parametrize("index", range(len(DOC_BLOCKS)))
def test_every_json_example_in_the_documentation_loads(index):
    sf = loads_session(DOC_BLOCKS[index])
    build(sf.spec)


def test_the_documented_ai_planet_example_is_the_tutorial_and_in_saved_form():
    block = next(b for b in DOC_BLOCKS if '"AI Planet"' in b)
    sf = loads_session(block)
    np.testing.assert_allclose(first_hidden_state(sf.spec), [0.44624361, 0.64107696], atol=5e-9)
    p = build(sf.spec).params
    assert p.W_hh.tolist() == [[0.1, 0.2], [0.3, 0.4]]
    assert p.E[1].tolist() == [0.1, 0.2, 0.3] and p.E[2].tolist() == [0.4, 0.5, 0.6]
    assert dumps_session(sf) == block  # the doc shows exactly what rnnviz writes


def test_the_documented_hand_written_example_uses_scalars():
    block = next(b for b in DOC_BLOCKS if '"hello, by hand"' in b)
    p = build(loads_session(block).spec).params
    assert p.W_hh.tolist() == (0.427043 * np.eye(3)).tolist()
    assert p.b_h.tolist() == [0.567] * 3


def test_documented_error_messages_are_the_real_ones():
    """Each message quoted in the doc's table comes from the corpus (up to a '...')."""
    quoted = re.findall(r"^\| [^|]+ \| `(.+)` \|$", DOC, re.M)
    real = [str(_error(MALFORMED / n)) for n in EXPECTED] + [
        "the file is 30.0 MB; session files are limited to 20 MB"
    ]
    for q in quoted:
        head = q.split("...")[0].rstrip(" (")
        assert any(r.startswith(head) for r in real), q


def _error(path: Path) -> SessionFileError:
    try:
        load_session(path)
    except SessionFileError as e:
        return e
    raise AssertionError(f"{path.name} loaded")


def test_view_vocabulary_matches_the_app_state():
    from rnnviz import state

    assert PHASES == state.PHASES and NOTATIONS == state.NOTATIONS


def test_limits_are_the_documented_ones():
    assert MAX_FILE_BYTES == 20 * 2**20
    assert "| file size | 20 MB |" in DOC


def test_numpy_numbers_in_a_spec_are_saved_as_plain_json():
    spec = Spec(text="a b c", seed=np.int64(5), hidden_size=np.int64(3), sigma_max=np.float64(2))
    back = loads_session(dumps_session(spec)).spec
    assert (back.seed, back.hidden_size, back.sigma_max) == (5, 3, 2.0)
    assert type(back.seed) is int and type(back.sigma_max) is float


@pytest.mark.parametrize(
    ("bad", "fragment"),
    [
        (Spec(text="a b", label=object()), "task.label: cannot save a object"),
        (Spec(text="a b", training={"steps": object()}), "training.steps: cannot save"),
        (Spec(text=None), "input.text: expected text in double quotes, found null"),
        (Spec(text="a \ud800 b"), "input.text: contains a \\u escape"),
        (Spec(text="a b", params={"W_xh": [[1.0], [1.0, 2.0]]}), "params.W_xh: not a rectangular"),
        (Spec(text="a b", params={"W_xx": 1.0}), "params.W_xx: unknown parameter"),
        ("a string", "cannot save a str as a session"),
    ],
)
def test_saving_what_a_session_file_cannot_hold_is_a_session_file_error(bad, fragment):
    with pytest.raises(SessionFileError) as info:
        dumps_session(bad)
    assert fragment in str(info.value)
