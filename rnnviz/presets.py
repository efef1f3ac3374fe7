"""Ready-made experiments: one per tutorial in ../shared/seeds, plus three demonstrations.

Each preset is a complete ``Spec`` (text, tokenizer, network, weights or
seed, task, training settings) whose ``description`` tells a learner, in plain
words, what the example shows, which tutorial it comes from, and where that
tutorial slips (with the correct numbers, checked by tests/test_tutorials.py
through the real engine).

    ai-planet     AI Planet, "RNN Layer - Math Simplified": one step by hand, embedding
    hello         the "hello" lesson: characters, one-hot, its exact weights
    sentiment     Madhu Sanjeevi, ch. 10: "this movie is not good", many-to-one
    harry-potter  The Daily Crunch: tagging names, sigmoid + BCE, many-to-many
    ice-cream     "RNNs [Week 4]": next-word prediction and memory
    vanishing     sigma_max(W_hh) = 0.8: dL/dh_t shrinks toward the start
    exploding     linear cell, sigma_max = 1.2: unclipped training blows up
    clipping      the same network with norm clipping: it learns

API: ``names()`` (stable order), ``get(name)`` (a private copy of the Spec),
``describe(name)`` (one line), ``title(name)``, ``key_of(spec)`` and the
read-only ``PRESETS`` registry (name -> Spec).
"""

from __future__ import annotations

import copy
from types import MappingProxyType

from .engine.spec import Example, Spec
from .engine.trace import Config

# ---------------------------------------------------------------------------------------------
# AI Planet (seed 000): "AI Planet Bootcamps are free and available to all."
# ---------------------------------------------------------------------------------------------

AI_PLANET_VOCAB = (
    "<unk>",  # id 0: words the model never saw
    "AI",
    "Planet",
    "Bootcamps",
    "are",
    "free",
    "and",
    "available",
    "to",
    "all",
)
# Rows 1-3 and 8-9 are the tutorial's; it elides 4-7 with "...". Those and the <unk>
# row are rnnviz's documented choice (steps of 0.1 like the shown rows, all distinct).
AI_PLANET_E = (
    (0.0, 0.0, 0.0),  # <unk>: adds nothing but the bias
    (0.1, 0.2, 0.3),  # AI
    (0.4, 0.5, 0.6),  # Planet
    (0.7, 0.8, 0.9),  # Bootcamps
    (0.2, 0.3, 0.4),  # are        (elided in the tutorial)
    (0.5, 0.6, 0.7),  # free       (elided)
    (0.8, 0.9, 1.0),  # and        (elided)
    (0.3, 0.4, 0.5),  # available  (elided)
    (0.7, 0.8, 0.9),  # to         (the tutorial's; equal to Bootcamps)
    (0.4, 0.5, 0.6),  # all        (the tutorial's; equal to Planet)
)

AI_PLANET = """\
One time step of an RNN worked out by hand, from the AI Planet tutorial "RNN Layer - Math \
Simplified".

What it shows. The sentence "AI Planet Bootcamps are free and available to all." is split into 9 \
words (the full stop is dropped) and numbered 1 to 9 in order of first appearance, as the \
tutorial does ({"AI": 1, ..., "all": 9}); id 0 is <unk>, for words the model never saw. Each id \
picks a row of a 3-number embedding, and a 2-unit tanh RNN with the tutorial's weights reads the \
words one by one. Step 1 reproduces its numbers: W_xh x_1 = [0.38, 0.56], the pre-activation z_1 \
= W_hh h_0 + W_xh x_1 + b_h = [0.48, 0.76] and h_1 = tanh(z_1) = [0.44624361, 0.64107696]. The \
task is sentiment (many-to-one): the sentence is positive, and only the output after the last \
word is scored; rnnviz still shows y at every step, as the tutorial computes y(1).

Choices rnnviz had to make.
- The tutorial prints embedding rows only for AI [0.1, 0.2, 0.3], Planet [0.4, 0.5, 0.6], \
Bootcamps [0.7, 0.8, 0.9], to [0.7, 0.8, 0.9] and all [0.4, 0.5, 0.6], and writes "..." for the \
rest. These rows are NOT from the tutorial: are [0.2, 0.3, 0.4], free [0.5, 0.6, 0.7], and [0.8, \
0.9, 1.0], available [0.3, 0.4, 0.5], and <unk> [0, 0, 0] (an unknown word then adds nothing but \
the bias). Note that the tutorial's own rows give "to" the same vector as "Bootcamps" and "all" \
the same as "Planet", so the network cannot tell those words apart.
- The output layer is two sigmoid units (negative, positive), as the tutorial computes. The \
tutorial names categorical cross-entropy, L = -sum y log(y_hat); with sigmoid outputs and target \
[0, 1] that only looks at the positive unit (-log 0.7747 = 0.2552 after the last word) and never \
pushes the negative unit down. rnnviz uses binary cross-entropy, the loss that belongs to a \
sigmoid output: L = -log(1 - 0.6828) - log(0.7747) = 1.4034.
- Training follows the tutorial's code: plain gradient descent (learning rate 0.1) with every \
gradient component clipped to [-1, 1], its np.clip(dW, -1, 1).

Errata (each checked with NumPy).
1. It writes "h(1) = tanh([0.21, 0.46])", but the pre-activation it has just computed is [0.48, \
0.76]. Its result [0.44624361, 0.64107696] is tanh([0.48, 0.76]) and is right; tanh([0.21, 0.46]) \
would be [0.2070, 0.4301].
2. For the output it feeds [0.206, 0.440] instead of h(1) = [0.44624361, 0.64107696]: a leftover \
close to tanh([0.21, 0.46]) = [0.2070, 0.4301].
3. It prints W_y [0.206, 0.440] = [0.216, 0.355]; that product is [0.1732, 0.3024]. Its answer \
y(1) = [0.61614087, 0.66871967] is what its code gives with the mistyped h, sigmoid([0.4732, \
0.7024]); it is not even sigmoid of its own [0.516, 0.755], which is [0.6262, 0.6803]. With the \
real h(1): W_y h(1) + b_y = [0.58157181, 0.89903592] and y(1) = sigmoid of that = [0.64142900, \
0.71075134], which is what rnnviz shows at step 1.
4. Its BPTT code carries the gradient back with np.dot(Wh, temp). The chain rule needs the \
transpose, np.dot(Wh.T, temp), because W_hh = [[0.1, 0.2], [0.3, 0.4]] is not symmetric. Here \
dL/dh_8 = W_hh^T dL/dz_9 = [0.00236179, 0.00392703]; the tutorial's code would give [0.00196351, \
0.00509398].

Also notice how tiny dL/dh_t becomes at the first words (about 1e-13): the tanh units saturate (z \
up to 3.3), a first taste of vanishing gradients."""


def _ai_planet() -> Spec:
    return Spec(
        name="AI Planet: one step by hand",
        description=AI_PLANET,
        text="AI Planet Bootcamps are free and available to all.",
        level="word",
        lowercase=False,
        punctuation="drop",
        vocab=AI_PLANET_VOCAB,
        encoding="embedding",
        embedding_size=3,
        hidden_size=2,
        classes=("negative", "positive"),
        task="many-to-one",
        label="positive",
        config=Config(activation="tanh", head="sigmoid", loss="bce", reduction="sum"),
        params={
            "W_hh": ((0.1, 0.2), (0.3, 0.4)),
            "W_xh": ((0.5, 0.6, 0.7), (0.8, 0.9, 1.0)),
            "W_hy": ((0.2, 0.3), (0.4, 0.5)),
            "b_h": (0.1, 0.2),
            "b_y": (0.3, 0.4),
            "h0": (0.0, 0.0),
            "E": AI_PLANET_E,
        },
        training={
            "optimizer": "sgd",
            "learning_rate": 0.1,
            "clip_mode": "value",
            "clip_threshold": 1.0,
            "steps": 100,
            "batch": "full",
        },
    )


# ---------------------------------------------------------------------------------------------
# "hello" (seed 003): character level, the lesson's exact weights
# ---------------------------------------------------------------------------------------------

# The 3x4 W_xh of the lesson; column 'h' with the extra digits it prints in step 4.
HELLO_W_XH = (
    (0.287027359, 0.84606, 0.572392, 0.486813),
    (0.902874425, 0.871522, 0.691079, 0.18998),
    (0.537523791, 0.09224, 0.558159, 0.491528),
)
# The 4x3 W_hy of its step 6 (first column printed with 5 decimals only).
HELLO_W_HY = (
    (0.37168, 0.974829459, 0.830034886),
    (0.39141, 0.282585823, 0.659835709),
    (0.64985, 0.09821557, 0.334287084),
    (0.91266, 0.32581642, 0.144630018),
)

HELLO = """\
Predicting the next letter of "hello" with the exact weights of the lesson "Understanding a \
Recurrent Neuron in Detail" (Deep Learning, lesson 7, University of Science and Technology \
Bannu).

What it shows. The vocabulary is the four letters h, e, l, o (one-hot vectors, no <unk>). A \
3-unit tanh RNN reads h, e, l, l and after every letter predicts the next one: e, l, l, o. The \
weights are the lesson's: W_xh its 3x4 matrix (column h with the extra digits it prints in step \
4: 0.287027359, 0.902874425, 0.537523791), W_hh = 0.427043 (its "1x1 matrix", a single number, \
which acts as 0.427043 times the 3x3 identity), b_h = 0.567001 in every unit, W_hy its 4x3 matrix \
of step 6, and b_y = 0.

Step by step, as rnnviz computes it:
- after h: h_1 = tanh(W_xh x_h + b) = [0.69316812, 0.89955369, 0.80211846] (tutorial: 0.69316804, \
0.89955366, 0.8021184);
- for e: W_hh h_1 + b = [0.8630136, 0.9511491, 0.9095401] (tutorial: 0.863013, 0.951149, \
0.90954), plus W_xh x_e = [0.84606, 0.871522, 0.09224], gives h_2 = [0.93653378, 0.94910407, \
0.76234073] (tutorial: 0.93653372, 0.94910403, 0.76234056);
- y_2 = W_hy h_2 = [1.906075, 1.137792, 0.956664, 1.274228] (tutorial: 1.90607732, 1.13779113, \
0.95666016, 1.27422602);
- softmax(y_2) = [0.4197, 0.1947, 0.1624, 0.2231] for h, e, l, o. So the untrained network says \
the letter after e is h, exactly as the lesson says, and that is correct for these random \
weights: the right answer, l, needs training. Train it (Adagrad, learning rate 0.1, as in \
Karpathy's min-char-rnn) and within a few dozen steps it predicts e, l, l, o. The second l is the \
interesting one: the input is l both times, so only the hidden state (memory) can tell "l comes \
next" from "o comes next".

Errata.
1. The formula it prints, h_t = tanh(W_hh h_{t-1} + W_xh x_t), has no bias, yet its numbers add b \
= 0.567001 from the very first step: h_1 = tanh(W_xh x_h + 0.567001). Following the printed \
formula would give h_1 = tanh([0.287027, 0.902874, 0.537524]) = [0.27939651, 0.7176946, \
0.49111128], not its [0.69316804, 0.89955366, 0.8021184]. rnnviz uses h_t = tanh(W_hh h_{t-1} + \
W_xh x_t + b_h), which matches its numbers.
2. Not a slip: the last digits differ from the lesson's because it prints rounded weights. Its \
h_1 fits a bias of 0.5670008 in all three units (printed 0.567001), so h differs in the 8th \
decimal (by at most 2e-7). W_hy's first column is printed with 5 decimals (0.37168, 0.39141, \
0.64985, 0.91266) while the other columns have 9, so y differs in the 6th decimal (by at most \
4e-6).
3. It says the recurrence is applied to "e" and "the previous state which is the letter h". The \
previous state is h_1, a vector that summarises what came before, not the letter itself."""


def _hello() -> Spec:
    return Spec(
        name="hello: letters, one-hot",
        description=HELLO,
        text="hello",
        level="char",
        vocab=("h", "e", "l", "o"),
        use_unk=False,
        encoding="onehot",
        hidden_size=3,
        task="next-token",
        config=Config(activation="tanh", head="softmax", loss="ce", reduction="sum"),
        params={
            "W_xh": HELLO_W_XH,
            "W_hh": 0.427043,  # scalar -> 0.427043 * I (expand_scalar)
            "b_h": 0.567001,  # scalar -> the same bias in every unit
            "W_hy": HELLO_W_HY,
            "b_y": 0.0,
        },
        training={
            "optimizer": "adagrad",
            "learning_rate": 0.1,
            "clip_mode": "off",
            "clip_threshold": 5.0,
            "steps": 100,
            "batch": "full",
        },
    )


# ---------------------------------------------------------------------------------------------
# Madhu Sanjeevi, "Chapter 10: DeepNLP" (seed 004): "this movie is not good"
# ---------------------------------------------------------------------------------------------

SENTIMENT_DATA = (
    ("this movie is good", "positive"),
    ("this movie is bad", "negative"),
    ("this movie is not good", "negative"),
    ("this movie is not bad", "positive"),
    ("it is good", "positive"),
    ("it is bad", "negative"),
    ("it is not good", "negative"),
    ("it is not bad", "positive"),
    ("the food is good", "positive"),
    ("the food is bad", "negative"),
    ("the food is not good", "negative"),
    ("this movie is great", "positive"),
)

SENTIMENT = """\
Why order matters: "this movie is not good", from Madhu Sanjeevi's "Chapter 10: DeepNLP - \
Recurrent Neural Networks with Math" (Deep Math Machine learning.ai, 2018).

What it shows. "This movie is good" is positive, "this movie is bad" negative, and "this movie is \
not good" negative, although it contains "good": a model that ignores word order (a bag of words) \
can miss that, while an RNN reads the words in order. The task is many-to-one: the RNN (8 tanh \
units, one-hot words, lowercased) reads the five words one at a time and only its output after \
the last word, a softmax over (negative, positive), is scored with cross-entropy. Twelve short \
training sentences make "not" matter: "not good" is negative, "not bad" positive. Before training \
its answer is close to a coin toss. Train it (Adam, learning rate 0.05, 300 steps, fixed seed) \
and it classifies all twelve correctly, "this movie is not good" as negative. Then type a \
sentence it never saw, such as "the food is not bad" or "this movie is not great", and see \
whether it generalises ("great" appears in one positive sentence only, never after "not", so the \
network has no evidence for what "not great" means).

Errata.
1. It numbers the words from x(0) ("this" is x(0), "good" is x(4)) but sums its loss from t = 1 \
to T. rnnviz numbers time steps from 1: x_1 = "this", ..., x_5 = "good", with h_0 the zero state \
before the first word, as the other tutorials do.
2. Its note "U and V are weight vectors, different for every time step" is wrong, and contradicts \
its own "W's are same for all timesteps": U (input to hidden, rnnviz's W_xh), W (hidden to \
hidden, W_hh) and V (hidden to output, W_hy) are matrices, and the same three are used at every \
time step. rnnviz shows the same matrices at every step; each one's gradient is the sum of one \
contribution per step, for example dL/dU = sum over t of dL/dz_t x_t^T.
Its equations also leave out the biases (H_t = sigma(U X_t + W H_{t-1}), y_t = softmax(V H_t)); \
rnnviz includes b_h and b_y, which start at zero."""


def _sentiment() -> Spec:
    return Spec(
        name="Sentiment: this movie is not good",
        description=SENTIMENT,
        text="this movie is not good",
        level="word",
        lowercase=True,
        encoding="onehot",
        hidden_size=8,
        classes=("negative", "positive"),
        task="many-to-one",
        label="negative",
        config=Config(activation="tanh", head="softmax", loss="ce", reduction="sum"),
        seed=0,
        init="xavier",
        dataset=tuple(Example(text, label) for text, label in SENTIMENT_DATA),
        training={
            "optimizer": "adam",
            "learning_rate": 0.05,
            "clip_mode": "off",
            "clip_threshold": 5.0,
            "steps": 300,
            "batch": "full",
        },
    )


# ---------------------------------------------------------------------------------------------
# The Daily Crunch, "The Math behind RNNs" (seed 002): named-entity tagging
# ---------------------------------------------------------------------------------------------

HARRY_POTTER_DATA = (
    ("Harry Potter and Hermione Granger invented a new spell", (1, 1, 0, 1, 1, 0, 0, 0, 0)),
    ("Ron Weasley and Harry Potter played chess", (1, 1, 0, 1, 1, 0, 0)),
    ("Hermione Granger read a new book", (1, 1, 0, 0, 0, 0)),
    ("Ron invented a spell and a book", (1, 0, 0, 0, 0, 0, 0)),
)

HARRY_POTTER = """\
Tagging the names in "Harry Potter and Hermione Granger invented a new spell", from The Daily \
Crunch's "The Math behind Recurrent Neural Networks".

What it shows. Each word gets the target 1 if it is part of a person's name and 0 otherwise: [1, \
1, 0, 1, 1, 0, 0, 0, 0]. This is many-to-many: after every word the RNN outputs one number, a \
sigmoid probability that the word is part of a name, and every step is scored with binary \
cross-entropy, summed over the 9 words as the tutorial does. Words are one-hot vectors over the \
vocabulary (case kept; <unk> for words it never saw). The tutorial's notation maps to rnnviz's: \
a<t> = h_t, W_ax = W_xh, W_aa = W_hh, W_ya = W_hy, b_a = b_h, and a<0> is the zero vector; like \
rnnviz it numbers words from x<1>. The start weights are random (seed 0); train (Adam, learning \
rate 0.05) on four small sentences and it tags all of them correctly.

Erratum. Its per-step loss is printed as L<t> = -y_hat log(y_hat) - (1 - y) log(1 - y_hat). The \
first factor must be the target y: L<t> = -y log(y_hat) - (1 - y) log(1 - y_hat), which is what \
rnnviz computes. The printed version barely punishes confident mistakes: for a name word (y = 1) \
predicted at y_hat = 0.01 the correct loss is -log 0.01 = 4.6052, the printed formula gives -0.01 \
log 0.01 = 0.0461. For y = 1 and y_hat = 0.9: 0.1054 (correct) against 0.0948 (printed)."""


def _harry_potter() -> Spec:
    text, tags = HARRY_POTTER_DATA[0]
    return Spec(
        name="Harry Potter: tagging names",
        description=HARRY_POTTER,
        text=text,
        level="word",
        lowercase=False,
        encoding="onehot",
        hidden_size=4,
        classes=("name",),
        task="many-to-many",
        tags=tags,
        config=Config(activation="tanh", head="sigmoid", loss="bce", reduction="sum"),
        seed=0,
        init="xavier",
        dataset=tuple(Example(t, tags=g) for t, g in HARRY_POTTER_DATA),
        training={
            "optimizer": "adam",
            "learning_rate": 0.05,
            "clip_mode": "off",
            "clip_threshold": 5.0,
            "steps": 200,
            "batch": "full",
        },
    )


# ---------------------------------------------------------------------------------------------
# "RNNs [Week 4]" (seed 001): "I want to have some ice cream as it is very hot"
# ---------------------------------------------------------------------------------------------

ICE_CREAM_DATA = (
    "I want to have some ice cream as it is very hot",
    "it is very hot so I want some ice cream",
    "it is very cold so I want some hot tea",
    "I want to have some hot tea as it is very cold",
)

ICE_CREAM = """\
Next-word prediction on "I want to have some ice cream as it is very hot", the thought that opens \
the blog post "RNNs [Week 4]: a deep dive into recurrent neural networks".

What it shows. The RNN (16 tanh units, one-hot words, lowercased) reads a sentence word by word \
and after each word predicts the next one: a softmax over the vocabulary, scored with \
cross-entropy averaged over the steps. It trains (Adam, learning rate 0.05, 200 steps) on four \
related sentences, and they show memory at work. In "it is very hot so i want some ..." and "it \
is very cold so i want some ..." the right next word (ice or hot) depends on a word six steps \
back, and after training the network gets both right; in the tutorial's sentence it predicts \
"hot" after "as it is very" because it remembers "ice cream". But in that sentence the reason \
comes after the wish: after "i want to have some" nothing yet tells a left-to-right RNN whether \
"ice" or "hot" follows, and it can only split its bet.

Errata.
1. It writes h(t+1) = f(alpha x(t) + beta h(t-1)): the indices are off by one. The new state h(t) \
combines the current input x(t) with the previous state h(t-1): h_t = tanh(W_hh h_{t-1} + W_xh \
x_t + b_h), as its own later formula h_t = tanh(W h_{t-1} + U x_t + b_h) says.
2. It says the Jacobians dh_t/dh_{t-1} are added as the gradient travels back ("we just need to \
add dh_{t-1}/dh_{t-2} to our earlier result"). The chain rule multiplies them: dh_t/dh_k = \
(dh_t/dh_{t-1}) (dh_{t-1}/dh_{t-2}) ... (dh_{k+1}/dh_k). What is added is the gradient arriving \
from different losses, dL/dh_k = sum over t >= k of dL_t/dh_k: a sum over paths, each path a \
product. Example: one unit, identity activation, W_hh = 0.5: dh_4/dh_1 = 0.5 x 0.5 x 0.5 = 0.125, \
not 0.5 + 0.5 + 0.5 = 1.5. Products are why gradients vanish or explode over long distances.
3. Notation: it calls the input-to-hidden weights U, hidden-to-hidden W and hidden-to-output V \
(rnnviz: W_xh, W_hh, W_hy), then later uses U_h for the recurrent weights and W_x, W_h for the \
input side, with row vectors (x W^T). Same network, other names.
It also derives its gradients with a squared-error (L2) loss while its output is a softmax; \
rnnviz pairs softmax with cross-entropy, whose gradient at the logits is simply y - target."""


def _ice_cream() -> Spec:
    return Spec(
        name="Ice cream: predicting the next word",
        description=ICE_CREAM,
        text=ICE_CREAM_DATA[0],
        level="word",
        lowercase=True,
        encoding="onehot",
        hidden_size=16,
        task="next-token",
        config=Config(activation="tanh", head="softmax", loss="ce", reduction="mean"),
        seed=0,
        init="xavier",
        dataset=tuple(Example(t) for t in ICE_CREAM_DATA),
        training={
            "optimizer": "adam",
            "learning_rate": 0.05,
            "clip_mode": "off",
            "clip_threshold": 5.0,
            "steps": 200,
            "batch": "full",
        },
    )


# ---------------------------------------------------------------------------------------------
# Demonstrations: vanishing, exploding, clipping
# ---------------------------------------------------------------------------------------------

VANISHING_TEXT = (
    "The cat that the neighbours adopted last spring, after a long and very cold winter when "
    "deep snow covered every road and garden of the quiet little village for weeks, was asleep."
)

VANISHING = """\
Vanishing gradients: a 32-word sentence whose label depends on its second word.

What it shows. "The cat that ... was asleep." is classified many-to-one as singular because of \
"cat", 29 words before the verb "was". Only the output after the last word is scored, so the \
gradient that could teach the network about "cat" has to travel back through 30 steps. W_hh is a \
random orthogonal matrix scaled so that its largest singular value is sigma_max = 0.8, and tanh' \
<= 1, so each step back multiplies the gradient by at most 0.8: 0.8^31 = 0.00099 from W_hh alone, \
and the tanh derivatives shrink it further. ||dL/dh_t|| falls from 0.39 at the last word to \
1.6e-05 at the first, more than four orders of magnitude. This is the problem Madhu's and the \
"Week 4" tutorials end on ("the signal gets too weak"). Look at dL/dh_t on a log scale, then \
raise sigma_max towards 1 and beyond to see the fall slow down, or set a truncation to cut it \
off."""

EXPLODING_TEXT = "hello hello hello hello hello hello"

EXPLODING = """\
Exploding gradients: a linear RNN with sigma_max(W_hh) = 1.2 over 34 characters, trained without \
clipping.

What it shows. The cell has no squashing (identity activation, h_t = W_hh h_{t-1} + W_xh x_t + \
b_h) and W_hh is a random orthogonal matrix scaled by 1.2, so every step back multiplies the \
gradient by exactly 1.2: ||dh_34/dh_1|| = 1.2^33 = 410. It reads "hello hello hello hello hello \
hello" one character at a time and predicts the next one. Before training ||dL/dh_t|| grows from \
0.055 at the last character to 53 at the first. Train it with plain gradient descent (learning \
rate 0.1, no clipping): the first gradient has a norm of about 870, the update it causes is far \
too big, the loss jumps from 86 to about 2e53, and at step 3 the hidden states overflow to \
inf/nan. Training stops there, and rnnviz keeps the last finite weights and says why. The same \
run with value clipping (every gradient component limited to [-1, 1], the AI Planet tutorial's \
np.clip(dW, -1, 1)) or with norm clipping (threshold 1) learns the whole sequence: compare the \
three in the clipping lab, or load the "clipping" preset."""

CLIPPING = """\
The fix for exploding gradients: the "exploding" network, trained with gradient-norm clipping.

What it shows. Same sentence, same linear cell, same weights (sigma_max(W_hh) = 1.2) and the same \
plain gradient descent at learning rate 0.1, but before every update the gradient g is rescaled \
when its overall length ||g|| (over all weights) exceeds 1: g <- g / ||g||. Its direction is kept \
(cosine 1 with the raw gradient), only the step is shortened (Pascanu, Mikolov & Bengio 2013, \
PyTorch's clip_grad_norm_). The first gradient has a norm of about 870 and is shrunk about \
870-fold. Where the unclipped run overflowed at step 3, this one trains quietly: the loss falls \
from 86 to about 0.01 in 200 steps and it predicts every next character. Value clipping (each \
component to [-1, 1]) also works here but bends the gradient's direction; norm clipping is the \
safer default."""


def _linear_hello(name: str, description: str, clip_mode: str) -> Spec:
    """The exploding network; ``clip_mode`` is the one difference between the two presets."""
    return Spec(
        name=name,
        description=description,
        text=EXPLODING_TEXT,
        level="char",
        use_unk=False,
        encoding="onehot",
        hidden_size=8,
        task="next-token",
        config=Config(
            activation="identity",
            head="softmax",
            loss="ce",
            reduction="mean",
            clip_mode=clip_mode,
            clip_threshold=1.0,
        ),
        seed=0,
        init="orthogonal",
        sigma_max=1.2,
        training={
            "optimizer": "sgd",
            "learning_rate": 0.1,
            "clip_mode": clip_mode,
            "clip_threshold": 1.0,
            "steps": 200,
            "batch": "full",
        },
    )


def _vanishing() -> Spec:
    return Spec(
        name="Vanishing gradients: a long sentence",
        description=VANISHING,
        text=VANISHING_TEXT,
        level="word",
        lowercase=True,
        encoding="onehot",
        hidden_size=8,
        classes=("singular", "plural"),
        task="many-to-one",
        label="singular",
        config=Config(activation="tanh", head="softmax", loss="ce", reduction="sum"),
        seed=0,
        init="orthogonal",
        sigma_max=0.8,
        training={
            "optimizer": "adam",
            "learning_rate": 0.01,
            "clip_mode": "off",
            "clip_threshold": 5.0,
            "steps": 100,
            "batch": "full",
        },
    )


def _exploding() -> Spec:
    return _linear_hello("Exploding gradients: no clipping", EXPLODING, "off")


def _clipping() -> Spec:
    return _linear_hello("Gradient clipping: the fix", CLIPPING, "norm")


# ---------------------------------------------------------------------------------------------
# The registry
# ---------------------------------------------------------------------------------------------

PRESETS = MappingProxyType(
    {
        "ai-planet": _ai_planet(),
        "hello": _hello(),
        "sentiment": _sentiment(),
        "harry-potter": _harry_potter(),
        "ice-cream": _ice_cream(),
        "vanishing": _vanishing(),
        "exploding": _exploding(),
        "clipping": _clipping(),
    }
)


def names() -> list[str]:
    """Preset keys in a fixed order: the tutorials first, then the demonstrations."""
    return list(PRESETS)


def get(name: str) -> Spec:
    """A private copy of the preset ``name`` (changing it cannot change the registry)."""
    if not isinstance(name, str) or name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(names())}")
    return copy.deepcopy(PRESETS[name])


def describe(name: str) -> str:
    """One line for a learner: what the preset shows and where it comes from."""
    return get(name).description.splitlines()[0]


def title(name: str) -> str:
    """The human title shown in menus (``Spec.name``)."""
    return get(name).name


def key_of(spec: Spec) -> str | None:
    """The key of the preset ``spec`` was loaded from (matched by title), or None."""
    return next((k for k, s in PRESETS.items() if s.name == getattr(spec, "name", None)), None)
