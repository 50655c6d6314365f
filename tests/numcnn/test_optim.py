"""SGD and Adam: updates against hand computations (and PyTorch when installed), state round trip, overfitting."""
import copy

import numpy as np
import pytest

import numcnn
from numcnn.layers import Conv2D, Dense, Flatten, MaxPool2D, Normalize, ReLU

P0 = [1.0, -2.0]
G1, G2 = [0.5, 0.25], [-1.0, 2.0]


def one_weight_model(weight=P0, dtype=np.float64):
    """A model whose only trainable numbers are weight (1, 2) and bias (1,) of one Dense layer."""
    layer = Dense(2, 1)
    layer.params = {"weight": np.array([weight], dtype=dtype), "bias": np.zeros(1, dtype=dtype)}
    layer.grads = {key: np.zeros_like(value) for key, value in layer.params.items()}
    return numcnn.Sequential([layer], input_shape=(2,))


def take_steps(optimizer, grads):
    """Apply one step per gradient of the weight (the bias gradient stays 0); returns the weight after each."""
    layer = optimizer.model.layers[0]
    history = []
    for grad in grads:
        layer.grads["weight"] = np.array([grad], dtype=layer.params["weight"].dtype)
        optimizer.step()
        history.append(layer.params["weight"][0].copy())
    return history


def test_sgd_plain():
    p1, p2 = take_steps(numcnn.SGD(one_weight_model(), lr=0.1), [G1, G2])
    np.testing.assert_allclose(p1, [0.95, -2.025], rtol=1e-12)          # p - lr * g
    np.testing.assert_allclose(p2, [1.05, -2.225], rtol=1e-12)


def test_sgd_momentum():
    p1, p2 = take_steps(numcnn.SGD(one_weight_model(), lr=0.1, momentum=0.9), [G1, G2])
    np.testing.assert_allclose(p1, [0.95, -2.025], rtol=1e-12)          # v1 = g1
    np.testing.assert_allclose(p2, [1.005, -2.2475], rtol=1e-12)        # v2 = 0.9 g1 + g2 = [-0.55, 2.225]


def test_sgd_nesterov():
    p1, p2 = take_steps(numcnn.SGD(one_weight_model(), lr=0.1, momentum=0.9, nesterov=True), [G1, G2])
    np.testing.assert_allclose(p1, [0.905, -2.0475], rtol=1e-12)        # p - lr * (g1 + 0.9 * v1)
    np.testing.assert_allclose(p2, [1.0545, -2.44775], rtol=1e-12)      # p - lr * (g2 + 0.9 * [-0.55, 2.225])


def test_sgd_weight_decay():
    (p1,) = take_steps(numcnn.SGD(one_weight_model(), lr=0.1, weight_decay=0.1), [G1])
    np.testing.assert_allclose(p1, [0.94, -2.005], rtol=1e-12)          # g + 0.1 p = [0.6, 0.05]


def test_adam():
    beta1, beta2, lr = 0.9, 0.999, 0.1
    p1, p2 = take_steps(numcnn.Adam(one_weight_model(), lr=lr), [G1, G2])
    np.testing.assert_allclose(p1, [0.9, -2.1], rtol=1e-7)  # the first step moves every weight by lr
    for i in range(2):
        m = beta1 * (1 - beta1) * G1[i] + (1 - beta1) * G2[i]
        v = beta2 * (1 - beta2) * G1[i] ** 2 + (1 - beta2) * G2[i] ** 2
        m_hat, v_hat = m / (1 - beta1 ** 2), v / (1 - beta2 ** 2)
        assert p2[i] == pytest.approx(p1[i] - lr * m_hat / (v_hat ** 0.5 + 1e-8), rel=1e-12)


def test_adam_decoupled_weight_decay():
    (p1,) = take_steps(numcnn.Adam(one_weight_model(), lr=0.1, weight_decay=0.5), [G1])
    np.testing.assert_allclose(p1, np.array(P0) * (1 - 0.1 * 0.5) - 0.1 * np.sign(G1), rtol=1e-7)


@pytest.mark.parametrize("make", [lambda m: numcnn.SGD(m, lr=0.1, momentum=0.9),
                                  lambda m: numcnn.Adam(m, lr=0.01)], ids=["SGD", "Adam"])
def test_float32_params_stay_float32_and_in_place(make):
    model = one_weight_model(dtype=np.float32)
    weight = model.layers[0].params["weight"]
    take_steps(make(model), [G1, G2])
    assert model.layers[0].params["weight"] is weight and weight.dtype == np.float32
    assert not np.array_equal(weight[0], P0)


def test_zero_gradient_leaves_params_alone():
    model = one_weight_model()
    take_steps(numcnn.Adam(model, lr=0.1), [[0.0, 0.0]] * 3)
    np.testing.assert_array_equal(model.layers[0].params["weight"][0], P0)


def test_lr_is_a_plain_attribute_read_at_every_step():
    optimizer = numcnn.SGD(one_weight_model(), lr=0.1)
    take_steps(optimizer, [G1])
    optimizer.lr = 0.01
    (p2,) = take_steps(optimizer, [G1])
    np.testing.assert_allclose(p2, [0.95 - 0.005, -2.025 - 0.0025], rtol=1e-12)


@pytest.mark.parametrize("make", [lambda m: numcnn.SGD(m, lr=0.1, momentum=0.9, nesterov=True),
                                  lambda m: numcnn.Adam(m, lr=0.01)], ids=["SGD", "Adam"])
def test_state_dict_round_trip(make):
    """Resuming from a saved state continues exactly as if training had never stopped.
    (The same through a checkpoint file: tests/numcnn/test_io.py.)"""
    grads = np.random.default_rng(0).standard_normal((6, 2)).tolist()
    model = one_weight_model()
    optimizer = make(model)
    take_steps(optimizer, grads[:3])
    state = copy.deepcopy(optimizer.state_dict())
    resumed = make(copy.deepcopy(model))
    resumed.lr *= 3  # the saved lr must win over whatever the new optimizer starts with
    resumed.load_state_dict(state)
    assert resumed.steps == optimizer.steps == 3 and resumed.lr == optimizer.lr
    np.testing.assert_array_equal(take_steps(resumed, grads[3:]), take_steps(optimizer, grads[3:]))


def test_load_state_dict_rejects_a_mismatch():
    optimizer = numcnn.Adam(one_weight_model())
    state = optimizer.state_dict()
    with pytest.raises(ValueError, match="missing \\['m.layers.0.bias'\\]"):
        optimizer.load_state_dict({k: v for k, v in state.items() if k != "m.layers.0.bias"})
    with pytest.raises(ValueError, match="state m.layers.0.weight has shape \\(3,\\), expected \\(1, 2\\)"):
        optimizer.load_state_dict(state | {"m.layers.0.weight": np.zeros(3)})
    with pytest.raises(ValueError, match="unexpected \\['velocity.layers.0.weight'\\]"):
        optimizer.load_state_dict(state | {"velocity.layers.0.weight": np.zeros((1, 2))})


@pytest.mark.parametrize("make, message", [
    (lambda m: numcnn.SGD(m, lr=0), "SGD: lr must be > 0"),
    (lambda m: numcnn.Adam(m, lr=-1e-3), "Adam: lr must be > 0"),
    (lambda m: numcnn.SGD(m, lr=0.1, nesterov=True), "nesterov=True needs momentum > 0"),
    (lambda m: numcnn.SGD(m, lr=0.1, momentum=-0.5), "momentum and weight_decay must be >= 0"),
    (lambda m: numcnn.Adam(m, betas=(0.9, 1.0)), "betas must lie in \\[0, 1\\)"),
])
def test_rejects_bad_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make(one_weight_model())


# --- the same updates as PyTorch ----------------------------------------------------------------------


@pytest.mark.parametrize("name, kwargs", [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.01)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1)),
])
def test_matches_pytorch(name, kwargs):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    start, grads = rng.standard_normal((1, 2)), rng.standard_normal((5, 2))
    ours = (numcnn.Adam if name == "AdamW" else getattr(numcnn, name))(one_weight_model(start[0]), **kwargs)
    theirs_param = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    theirs = getattr(torch.optim, name)([theirs_param], **kwargs)
    for ours_weight, grad in zip(take_steps(ours, grads.tolist()), grads):
        theirs_param.grad = torch.tensor(grad[None, :], dtype=torch.float64)
        theirs.step()
        np.testing.assert_allclose(ours_weight, theirs_param.detach().numpy()[0], rtol=1e-12, atol=1e-14)


# --- a tiny net memorizes a small batch ---------------------------------------------------------------


def accuracy(model, inputs, labels):
    return float(np.mean(model.forward(inputs).argmax(axis=1) == labels))


def train_accuracy(model, optimizer, inputs, labels, steps):
    loss = numcnn.SoftmaxCrossEntropy()
    for _ in range(steps):
        loss.forward(model.forward(inputs, training=True), labels)
        model.backward(loss.backward(), need_input_grad=False)
        optimizer.step()
    return accuracy(model, inputs, labels)


def dense_net():
    rng = np.random.default_rng(0)
    return numcnn.Sequential([Dense(20, 32, rng=rng), ReLU(), Dense(32, 10, rng=rng)], input_shape=(20,))


def conv_net():
    rng = np.random.default_rng(0)
    layers = [Normalize(0.5, 0.3), Conv2D(1, 8, 3, rng=rng), ReLU(), MaxPool2D(2), Flatten(), Dense(72, 10, rng=rng)]
    return numcnn.Sequential(layers, input_shape=(1, 8, 8))


@pytest.mark.parametrize("make_optimizer", [lambda m: numcnn.Adam(m, lr=0.01),
                                            lambda m: numcnn.SGD(m, lr=0.1, momentum=0.9)], ids=["Adam", "SGD"])
@pytest.mark.parametrize("make_model, shape", [(dense_net, (20,)), (conv_net, (1, 8, 8))], ids=["dense", "conv"])
def test_tiny_net_overfits_a_small_batch(make_model, shape, make_optimizer):
    rng = np.random.default_rng(1)
    inputs = rng.random((32,) + shape, dtype=np.float32)
    labels = rng.integers(0, 10, 32)  # random labels: only memorizing can fit them
    model = make_model()
    assert accuracy(model, inputs, labels) < 0.5
    assert train_accuracy(model, make_optimizer(model), inputs, labels, steps=150) == 1.0


@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adam_kernel_matches_the_readable_version(dtype, weight_decay):
    from numcnn.kernels.adam import adam_update
    from numcnn.optim import adam_update_naive
    rng = np.random.default_rng(0)
    fast = [rng.standard_normal(1000).astype(dtype) for _ in range(3)]  # param, m, v
    fast[2] = np.abs(fast[2])
    slow = [a.copy() for a in fast]
    lr, beta1, beta2, eps = 0.01, 0.9, 0.999, 1e-8
    for step in (1, 2, 50):
        grad = rng.standard_normal(1000).astype(dtype)
        adam_update_naive(slow[0], grad, slow[1], slow[2], step, lr, beta1, beta2, eps, weight_decay)
        coefficients = np.array([beta1, beta2, lr / (1 - beta1 ** step), 1 / np.sqrt(1 - beta2 ** step), eps,
                                 1 - lr * weight_decay])
        adam_update(fast[0], grad, fast[1], fast[2], coefficients)
    tolerance = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-14)
    for a, b in zip(fast, slow, strict=True):
        assert a.dtype == dtype
        np.testing.assert_allclose(a, b, **tolerance)


def test_adam_non_contiguous_gradient_takes_the_readable_path():
    model, twin = one_weight_model(), one_weight_model()
    take_steps(numcnn.Adam(model, lr=0.1), [G1, G2])
    optimizer = numcnn.Adam(twin, lr=0.1)
    for grad in (G1, G2):
        twin.layers[0].grads["weight"] = np.repeat(np.array([grad]), 2, axis=1)[:, ::2]  # a strided view
        optimizer.step()
    np.testing.assert_allclose(twin.layers[0].params["weight"], model.layers[0].params["weight"], rtol=1e-12)
