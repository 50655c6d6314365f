"""numcnn layers, one per file. ``LAYER_TYPES`` maps the names stored in model files to the classes."""
from numcnn.layers.base import Layer
from numcnn.layers.conv2d import Conv2D
from numcnn.layers.dense import Dense
from numcnn.layers.dropout import Dropout
from numcnn.layers.flatten import Flatten
from numcnn.layers.maxpool2d import MaxPool2D
from numcnn.layers.normalize import Normalize
from numcnn.layers.relu import ReLU

LAYER_TYPES: dict[str, type[Layer]] = {
    cls.__name__: cls for cls in (Conv2D, MaxPool2D, Dense, ReLU, Flatten, Dropout, Normalize)
}

__all__ = ["Layer", "Conv2D", "MaxPool2D", "Dense", "ReLU", "Flatten", "Dropout", "Normalize", "LAYER_TYPES"]
