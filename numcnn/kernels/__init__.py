"""Numba kernels: plain ``@njit`` functions of arrays and ints, called by the layers.

``naive`` holds the readable NumPy reference of each operation; the tests check one against the other.
"""
