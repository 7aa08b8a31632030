"""PyTorch's dtype names as NumPy dtypes: ``tinyconv.float32``, ``tinyconv.long``... so that
``x.dtype == tinyconv.float32`` and ``x.to(tinyconv.float64)`` read as in PyTorch. (No bfloat16:
NumPy has none.)"""
import numpy as np

float16 = half = np.dtype(np.float16)
float32 = float = np.dtype(np.float32)
float64 = double = np.dtype(np.float64)
uint8 = np.dtype(np.uint8)
int8 = np.dtype(np.int8)
int16 = short = np.dtype(np.int16)
int32 = int = np.dtype(np.int32)
int64 = long = np.dtype(np.int64)
bool = np.dtype(np.bool_)
complex64 = cfloat = np.dtype(np.complex64)
complex128 = cdouble = np.dtype(np.complex128)
