"""numcnn: a convolutional neural network library written by hand in NumPy, with Numba kernels.

    import numcnn
    model = numcnn.zoo.build("keras-example")
    optimizer, loss = numcnn.Adam(model, lr=1e-3), numcnn.SoftmaxCrossEntropy()
    value = loss.forward(model.forward(x, training=True), y)    # x: (N, 1, 28, 28) float32 in [0, 1]
    model.backward(loss.backward()); optimizer.step()
    model.save("model.npz"); model = numcnn.load("model.npz")
"""
from numcnn import zoo
from numcnn.io import load_model as load
from numcnn.layers import Conv2D, Dense, Dropout, Flatten, Layer, MaxPool2D, Normalize, ReLU
from numcnn.losses import SoftmaxCrossEntropy
from numcnn.model import Sequential
from numcnn.optim import SGD, Adam

__version__ = "0.1.0"

__all__ = ["Layer", "Conv2D", "MaxPool2D", "Dense", "ReLU", "Flatten", "Dropout", "Normalize",
           "SoftmaxCrossEntropy", "Sequential", "SGD", "Adam", "load", "zoo", "__version__"]
