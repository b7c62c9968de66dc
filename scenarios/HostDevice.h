#pragma once
// XM_HD marks functions compiled for both the host and the CUDA device. Headers that use it stay
// free of CUDA headers, so host code and g++ see plain inline functions.
#if defined(__CUDACC__)
#define XM_HD __host__ __device__ __forceinline__
#else
#define XM_HD inline
#endif
