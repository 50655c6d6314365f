"""numcnn.kernels.parallel: how the batch is cut into parts, how the parts run, and that a layer split over
threads computes what it computes on one thread."""
import threading

import numpy as np
import pytest

import numcnn
from numcnn.kernels import parallel


@pytest.fixture
def threads():
    """Set numcnn's thread count inside a test and put it back afterwards."""
    previous = parallel.num_threads()
    yield parallel.set_num_threads
    parallel.set_num_threads(previous)


def test_split_covers_every_item_once_in_order(threads):
    threads(3)
    parts = parallel.split(10, work_per_item=parallel.MIN_WORK_PER_THREAD)
    assert len(parts) == 3
    covered = [i for part in parts for i in range(10)[part]]
    assert covered == list(range(10))


def test_split_keeps_small_work_on_one_thread(threads):
    threads(4)
    assert parallel.split(128, work_per_item=1) == [slice(0, 128)]
    assert parallel.split(1, work_per_item=10 * parallel.MIN_WORK_PER_THREAD) == [slice(0, 1)]


def test_run_returns_results_in_order_of_the_parts_on_different_threads(threads):
    threads(2)
    seen = []

    def work_on(part):
        seen.append(threading.get_ident())
        return part.start

    parts = [slice(0, 5), slice(5, 10)]
    assert parallel.run(work_on, parts) == [0, 5]
    assert len(set(seen)) == 2


def test_run_reraises_an_error_after_every_part_has_stopped(threads):
    threads(2)
    finished = threading.Event()

    def work_on(part):
        if part.start == 0:
            raise RuntimeError("part 0 failed")
        finished.set()

    with pytest.raises(RuntimeError, match="part 0 failed"):
        parallel.run(work_on, [slice(0, 1), slice(1, 2)])
    assert finished.is_set()


@pytest.mark.parametrize("n", [0, -1, 1.5])
def test_set_num_threads_refuses_what_is_no_thread_count(n):
    with pytest.raises(ValueError, match="set_num_threads"):
        parallel.set_num_threads(n)


def one_training_step(x, labels):
    """Outputs, input gradient and parameter gradients of one step of a small net, from a fixed seed."""
    model = numcnn.zoo.build("keras-example", seed=0)
    loss = numcnn.SoftmaxCrossEntropy()
    loss.forward(model.forward(x, training=False), labels)
    grad_x = model.backward(loss.backward(), need_input_grad=True)
    grads = [g.copy() for layer in model.layers for g in layer.grads.values()]
    return model.forward(x), grad_x, grads


def test_a_batch_split_over_threads_gives_what_one_thread_gives(threads):
    rng = np.random.default_rng(0)
    x = rng.random((64, 1, 28, 28), dtype=np.float32)
    labels = rng.integers(0, 10, 64)
    threads(1)
    one = one_training_step(x, labels)
    threads(2)
    assert len(parallel.split(64, work_per_item=parallel.MIN_WORK_PER_THREAD)) == 2  # the batch really is split
    two = one_training_step(x, labels)
    np.testing.assert_array_equal(one[0], two[0])  # each sample is computed by one thread either way
    np.testing.assert_allclose(one[1], two[1], rtol=1e-5, atol=1e-7)
    for g_one, g_two in zip(one[2], two[2]):  # parameter gradients: the parts' sums are added in another order
        np.testing.assert_allclose(g_one, g_two, rtol=1e-4, atol=1e-6)
