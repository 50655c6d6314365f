"""Live handwritten-digit recognition with a numcnn model and OpenCV.

    from recognizer import Recognizer
    result = Recognizer.from_file().process(frame)    # result.digits, result.lines
"""
from recognizer.recognizer import DEFAULT_MODEL, Digit, FrameResult, Recognizer

__all__ = ["Recognizer", "FrameResult", "Digit", "DEFAULT_MODEL"]
