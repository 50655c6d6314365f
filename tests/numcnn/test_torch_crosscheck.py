"""numcnn against PyTorch with the same weights: Conv2D, MaxPool2D, Dense, the loss, and the whole
keras-example net forward, backward and a few Adam steps. Skipped when torch is not installed."""
import numpy as np
import pytest

import numcnn
from numcnn.layers import Conv2D, Dense, MaxPool2D

torch = pytest.importorskip("torch")
F = torch.nn.functional

DTYPES = [np.float32, np.float64]


@pytest.fixture(autouse=True, scope="module")
def torch_single_thread():
    """PyTorch's worker threads and numcnn's would fight over the cores; one thread is plenty here."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def tolerance(dtype):
    return dict(rtol=2e-4, atol=2e-5) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)


def random(shape, dtype, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def tensor(array, grad=False):
    return torch.tensor(array, requires_grad=grad)


@pytest.mark.parametrize("x_shape, out_channels, kernel, stride, padding", [
    ((2, 1, 28, 28), 4, 3, 1, 0),
    ((2, 3, 9, 7), 5, 3, 2, 1),
    ((1, 2, 8, 8), 3, 5, 3, 2),
    ((3, 4, 6, 5), 2, 1, 1, 0),
    ((1, 2, 5, 6), 2, 4, 1, 2),
])
@pytest.mark.parametrize("dtype", DTYPES)
def test_conv2d(x_shape, out_channels, kernel, stride, padding, dtype):
    layer = Conv2D(x_shape[1], out_channels, kernel, stride=stride, padding=padding, rng=np.random.default_rng(0))
    layer.params["bias"] = random(out_channels, np.float32, seed=1)
    x, weight, bias = random(x_shape, dtype, seed=2), tensor(layer.params["weight"].astype(dtype), grad=True), \
        tensor(layer.params["bias"].astype(dtype), grad=True)
    x_t = tensor(x, grad=True)
    y_t = F.conv2d(x_t, weight, bias, stride=stride, padding=padding)
    y = layer.forward(x)
    np.testing.assert_allclose(y, y_t.detach().numpy(), **tolerance(dtype))

    grad_y = random(y.shape, dtype, seed=3)
    y_t.backward(tensor(grad_y))
    np.testing.assert_allclose(layer.backward(grad_y), x_t.grad.numpy(), **tolerance(dtype))
    np.testing.assert_allclose(layer.grads["weight"], weight.grad.numpy(), **tolerance(np.float32))
    np.testing.assert_allclose(layer.grads["bias"], bias.grad.numpy(), **tolerance(np.float32))


@pytest.mark.parametrize("x_shape, kernel, stride", [
    ((2, 3, 8, 8), 2, None), ((1, 1, 7, 7), 2, None), ((2, 2, 5, 5), 3, 2), ((1, 3, 6, 9), 3, 1), ((1, 2, 9, 7), 2, 3),
])
@pytest.mark.parametrize("dtype", DTYPES)
def test_maxpool2d(x_shape, kernel, stride, dtype):
    layer = MaxPool2D(kernel, stride)
    x = random(x_shape, dtype)
    x_t = tensor(x, grad=True)
    y_t = F.max_pool2d(x_t, kernel, stride)
    y = layer.forward(x)
    np.testing.assert_array_equal(y, y_t.detach().numpy())
    grad_y = random(y.shape, dtype, seed=1)
    y_t.backward(tensor(grad_y))
    np.testing.assert_allclose(layer.backward(grad_y), x_t.grad.numpy(), **tolerance(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
def test_dense(dtype):
    layer = Dense(7, 4, rng=np.random.default_rng(0))
    layer.params["bias"] = random(4, np.float32, seed=1)
    x = random((5, 7), dtype, seed=2)
    x_t, weight, bias = tensor(x, grad=True), tensor(layer.params["weight"].astype(dtype), grad=True), \
        tensor(layer.params["bias"].astype(dtype), grad=True)
    y_t = F.linear(x_t, weight, bias)
    np.testing.assert_allclose(layer.forward(x), y_t.detach().numpy(), **tolerance(dtype))
    grad_y = random((5, 4), dtype, seed=3)
    y_t.backward(tensor(grad_y))
    np.testing.assert_allclose(layer.backward(grad_y), x_t.grad.numpy(), **tolerance(dtype))
    np.testing.assert_allclose(layer.grads["weight"], weight.grad.numpy(), **tolerance(np.float32))
    np.testing.assert_allclose(layer.grads["bias"], bias.grad.numpy(), **tolerance(np.float32))


@pytest.mark.parametrize("scale", [1.0, 30.0, 1e4])
@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_cross_entropy(scale, dtype):
    rng = np.random.default_rng(0)
    logits, labels = (scale * rng.standard_normal((6, 10))).astype(dtype), rng.integers(0, 10, 6)
    logits_t = tensor(logits, grad=True)
    value_t = F.cross_entropy(logits_t, torch.tensor(labels))
    value_t.backward()
    loss = numcnn.SoftmaxCrossEntropy()
    tol = tolerance(dtype)
    assert loss.forward(logits, labels) == pytest.approx(value_t.item(), rel=tol["rtol"], abs=tol["atol"])
    np.testing.assert_allclose(loss.backward(), logits_t.grad.numpy(), **tolerance(dtype))


def torch_twin(model):
    """The PyTorch version of zoo "keras-example" holding copies of the same weights."""
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 32, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                              torch.nn.Conv2d(32, 64, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                              torch.nn.Flatten(), torch.nn.Dropout(0.5), torch.nn.Linear(1600, 10))
    with torch.no_grad():
        for ours, theirs in ((1, 0), (4, 3), (9, 8)):
            net[theirs].weight.copy_(torch.from_numpy(model.layers[ours].params["weight"]))
            net[theirs].bias.copy_(torch.from_numpy(model.layers[ours].params["bias"]))
    return net.eval()  # dropout off on both sides: its masks come from different generators


def test_keras_example_forward_backward_and_adam_steps():
    model = numcnn.zoo.build("keras-example", seed=0)
    net = torch_twin(model)
    normalize = model.layers[0]
    rng = np.random.default_rng(1)
    x, labels = rng.random((8, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, 8)
    x_t = ((torch.from_numpy(x) - normalize.mean) / normalize.std).requires_grad_(True)

    loss = numcnn.SoftmaxCrossEntropy()
    logits = model.forward(x)
    logits_t = net(x_t)
    np.testing.assert_allclose(logits, logits_t.detach().numpy(), rtol=1e-4, atol=1e-5)
    value_t = F.cross_entropy(logits_t, torch.from_numpy(labels))
    assert loss.forward(logits, labels) == pytest.approx(value_t.item(), rel=1e-5)

    value_t.backward()
    grad_x = model.backward(loss.backward())
    np.testing.assert_allclose(grad_x, x_t.grad.numpy() / normalize.std, rtol=1e-3, atol=1e-6)
    for ours, theirs in ((1, 0), (4, 3), (9, 8)):
        for key in ("weight", "bias"):
            np.testing.assert_allclose(model.layers[ours].grads[key], getattr(net[theirs], key).grad.numpy(),
                                       rtol=1e-3, atol=1e-6, err_msg=f"layer {ours} {key}")

    optimizer, optimizer_t = numcnn.Adam(model, lr=1e-3), torch.optim.Adam(net.parameters(), lr=1e-3)
    for _ in range(3):
        optimizer_t.zero_grad()
        F.cross_entropy(net(x_t.detach()), torch.from_numpy(labels)).backward()
        optimizer_t.step()
        loss.forward(model.forward(x), labels)
        model.backward(loss.backward(), need_input_grad=False)
        optimizer.step()
    for ours, theirs in ((1, 0), (4, 3), (9, 8)):
        np.testing.assert_allclose(model.layers[ours].params["weight"], net[theirs].weight.detach().numpy(),
                                   rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(model.forward(x), net(x_t).detach().numpy(), rtol=1e-4, atol=1e-4)
