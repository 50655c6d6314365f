"""Numba kernels: plain ``@njit`` functions of arrays and ints, called by the layers.

The readable NumPy version of each kernel is in its layer's file (``numcnn/layers/``, the ``*_naive`` functions);
the tests check one against the other.
"""
