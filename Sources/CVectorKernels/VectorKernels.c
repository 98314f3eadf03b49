// AVX-512 and AVX2 twins of CreditKit's portable elementwise kernels (see VectorKernels.h).
//
// Bit-identity with the Swift code rests on three things: the same operations in the same order
// (each constant written as the Swift source writes it, e.g. 1.0f / 720.0f, folded in single
// precision as Swift folds it); no contraction of a product and a sum into one FMA (the pragma;
// the target attributes do not enable FMA for AVX2, and AVX-512's would only be used by
// contraction); and lane-wise independence, so that a tail computed in a zero-padded register
// gives the same bits as the same elements anywhere else.
#include "VectorKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>

#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl")))
#define AVX2 __attribute__((target("avx2")))

// MARK: AVX-512

static inline AVX512 __m512 exp_avx512(__m512 x) {
    const __m512 roundingMagic = _mm512_set1_ps(12582912.0f);
    const __m512 high = _mm512_set1_ps(88.3f), low = _mm512_set1_ps(-87.3f);
    __m512 clamped = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, high, _CMP_GT_OQ), x, high);
    clamped = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, low, _CMP_LT_OQ), clamped, low);
    __m512 shifted = _mm512_add_ps(_mm512_mul_ps(clamped, _mm512_set1_ps(1.44269504f)), roundingMagic);
    __m512 n = _mm512_sub_ps(shifted, roundingMagic);
    __m512 r = _mm512_sub_ps(clamped, _mm512_mul_ps(n, _mm512_set1_ps(0.693145752f)));
    r = _mm512_sub_ps(r, _mm512_mul_ps(n, _mm512_set1_ps(1.4286068e-6f)));
    __m512 p = _mm512_set1_ps(1.0f / 720.0f);
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(1.0f / 120.0f));
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(1.0f / 24.0f));
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(1.0f / 6.0f));
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(0.5f));
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(1.0f));
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(1.0f));
    __m512i integerN = _mm512_sub_epi32(_mm512_castps_si512(shifted), _mm512_set1_epi32(0x4B400000));
    __m512 twoToTheN = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(integerN, _mm512_set1_epi32(127)), 23));
    __m512 result = _mm512_mul_ps(p, twoToTheN);
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, x, _CMP_NEQ_UQ), result, x);
}

static inline AVX512 __m512 tanh_avx512(__m512 x) {
    __m512 e = exp_avx512(_mm512_mul_ps(_mm512_set1_ps(2.0f), x));
    const __m512 one = _mm512_set1_ps(1.0f);
    return _mm512_sub_ps(one, _mm512_div_ps(_mm512_set1_ps(2.0f), _mm512_add_ps(e, one)));
}

static inline AVX512 __m512 sigmoid_avx512(__m512 x) {
    // Swift's prefix minus on SIMD vectors is 0 − x (so −0 becomes +0 and NaN keeps its sign).
    __m512 negated = _mm512_sub_ps(_mm512_setzero_ps(), x);
    const __m512 one = _mm512_set1_ps(1.0f);
    return _mm512_div_ps(one, _mm512_add_ps(one, exp_avx512(negated)));
}

#define MAP_AVX512(name, f)                                                             \
    AVX512 void name(const float *x, float *y, long count) {                           \
        long i = 0;                                                                     \
        for (; i + 16 <= count; i += 16) _mm512_storeu_ps(y + i, f(_mm512_loadu_ps(x + i))); \
        if (i < count) {                                                                \
            __mmask16 tail = (__mmask16)((1u << (count - i)) - 1);                      \
            _mm512_mask_storeu_ps(y + i, tail, f(_mm512_maskz_loadu_ps(tail, x + i)));  \
        }                                                                               \
    }

MAP_AVX512(ck_tanh_avx512, tanh_avx512)
MAP_AVX512(ck_sigmoid_avx512, sigmoid_avx512)

AVX512 void ck_add_velocity_and_decay_avx512(float *p, float *v, float momentum, long count) {
    const __m512 mu = _mm512_set1_ps(momentum);
    long i = 0;
    for (; i + 16 <= count; i += 16) {
        __m512 velocity = _mm512_loadu_ps(v + i);
        _mm512_storeu_ps(p + i, _mm512_add_ps(_mm512_loadu_ps(p + i), velocity));
        _mm512_storeu_ps(v + i, _mm512_mul_ps(mu, velocity));
    }
    for (; i < count; i++) { p[i] += v[i]; v[i] *= momentum; }
}

#define SCALE_BY_SLOPE_AVX512(name, slope)                                               \
    AVX512 void name(float *g, const float *h, long count) {                            \
        const __m512 one = _mm512_set1_ps(1.0f);                                        \
        long i = 0;                                                                     \
        for (; i + 16 <= count; i += 16) {                                              \
            __m512 x = _mm512_loadu_ps(h + i);                                          \
            _mm512_storeu_ps(g + i, _mm512_mul_ps(_mm512_loadu_ps(g + i), slope));      \
        }                                                                               \
        if (i < count) {                                                                \
            __mmask16 tail = (__mmask16)((1u << (count - i)) - 1);                      \
            __m512 x = _mm512_maskz_loadu_ps(tail, h + i);                              \
            _mm512_mask_storeu_ps(g + i, tail, _mm512_mul_ps(_mm512_maskz_loadu_ps(tail, g + i), slope)); \
        }                                                                               \
    }

SCALE_BY_SLOPE_AVX512(ck_scale_by_tanh_slope_avx512, _mm512_sub_ps(one, _mm512_mul_ps(x, x)))
SCALE_BY_SLOPE_AVX512(ck_scale_by_sigmoid_slope_avx512, _mm512_mul_ps(x, _mm512_sub_ps(one, x)))

// Eight registers of sums per pass down the rows: each row is read as one contiguous run, and
// every column still adds its rows in order, as the Swift loop does.
AVX512 void ck_sum_rows_avx512(const float *x, long rows, long columns, float scale, float *sums) {
    for (long block = 0; block < columns; block += 128) {
        __m512 sum[8];
        __mmask16 lanes[8];
        for (int j = 0; j < 8; j++) {
            long c = block + 16 * j, left = columns - c;
            lanes[j] = left >= 16 ? (__mmask16)0xFFFF : left > 0 ? (__mmask16)((1u << left) - 1) : 0;
            sum[j] = _mm512_setzero_ps();
        }
        for (long r = 0; r < rows; r++) {
            const float *row = x + r * columns + block;
            for (int j = 0; j < 8; j++) sum[j] = _mm512_add_ps(sum[j], _mm512_maskz_loadu_ps(lanes[j], row + 16 * j));
        }
        for (int j = 0; j < 8; j++) _mm512_mask_storeu_ps(sums + block + 16 * j, lanes[j], _mm512_mul_ps(sum[j], _mm512_set1_ps(scale)));
    }
}

AVX512 void ck_bytes_to_floats_avx512(const unsigned char *bytes, float *y, long count, float scale, const float *gain, const float *offset) {
    const __m512 s = _mm512_set1_ps(scale);
    for (long i = 0; i < count; i += 16) {
        __mmask16 lanes = count - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (count - i)) - 1);
        __m128i raw = _mm_maskz_loadu_epi8(lanes, bytes + i);
        __m512 value = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(raw)), s);
        if (gain) value = _mm512_add_ps(_mm512_mul_ps(value, _mm512_maskz_loadu_ps(lanes, gain + i)), _mm512_maskz_loadu_ps(lanes, offset + i));
        _mm512_mask_storeu_ps(y + i, lanes, value);
    }
}

AVX512 void ck_adam_avx512(float *p, const float *g, float *m, float *v, long count, float b1, float c1, float b2, float c2,
                           float stepSize, float epsilon) {
    const __m512 B1 = _mm512_set1_ps(b1), C1 = _mm512_set1_ps(c1), B2 = _mm512_set1_ps(b2), C2 = _mm512_set1_ps(c2);
    const __m512 step = _mm512_set1_ps(stepSize), eps = _mm512_set1_ps(epsilon);
    for (long i = 0; i < count; i += 16) {
        __mmask16 lanes = count - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (count - i)) - 1);
        __m512 gi = _mm512_maskz_loadu_ps(lanes, g + i);
        __m512 mi = _mm512_add_ps(_mm512_mul_ps(B1, _mm512_maskz_loadu_ps(lanes, m + i)), _mm512_mul_ps(C1, gi));
        __m512 vi = _mm512_add_ps(_mm512_mul_ps(B2, _mm512_maskz_loadu_ps(lanes, v + i)), _mm512_mul_ps(_mm512_mul_ps(C2, gi), gi));
        _mm512_mask_storeu_ps(m + i, lanes, mi);
        _mm512_mask_storeu_ps(v + i, lanes, vi);
        __m512 change = _mm512_div_ps(_mm512_mul_ps(step, mi), _mm512_add_ps(_mm512_sqrt_ps(vi), eps));
        _mm512_mask_storeu_ps(p + i, lanes, _mm512_sub_ps(_mm512_maskz_loadu_ps(lanes, p + i), change));
    }
}

// tanh to a relative error of about 1e-6 for small x too: the odd series to x⁹ below |x| = 1/4.
static inline AVX512 __m512 tanh_relative_avx512(__m512 x) {
    __m512 x2 = _mm512_mul_ps(x, x);
    __m512 series = _mm512_set1_ps(62.0f / 2835.0f);
    series = _mm512_sub_ps(_mm512_mul_ps(series, x2), _mm512_set1_ps(17.0f / 315.0f));
    series = _mm512_add_ps(_mm512_mul_ps(series, x2), _mm512_set1_ps(2.0f / 15.0f));
    series = _mm512_sub_ps(_mm512_mul_ps(series, x2), _mm512_set1_ps(1.0f / 3.0f));
    series = _mm512_mul_ps(_mm512_add_ps(_mm512_mul_ps(series, x2), _mm512_set1_ps(1.0f)), x);
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x2, _mm512_set1_ps(0.0625f), _CMP_LT_OQ), tanh_avx512(x), series);
}

#define CHANGE_AVX512(name, isTanh)                                                                        \
    AVX512 void name(const float *a, const float *h, const float *shift, float *change, long count) {     \
        const __m512 one = _mm512_set1_ps(1.0f);                                                          \
        for (long i = 0; i < count; i += 16) {                                                            \
            __mmask16 lanes = count - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (count - i)) - 1); \
            __m512 ai = _mm512_maskz_loadu_ps(lanes, a + i), hi = _mm512_maskz_loadu_ps(lanes, h + i);    \
            __m512 delta = _mm512_maskz_loadu_ps(lanes, shift + i);                                       \
            __m512 t = isTanh ? hi : _mm512_sub_ps(_mm512_mul_ps(_mm512_set1_ps(2.0f), hi), one);         \
            __m512 u = tanh_relative_avx512(isTanh ? delta : _mm512_mul_ps(_mm512_set1_ps(0.5f), delta)); \
            __m512 scale = _mm512_set1_ps(isTanh ? 1.0f : 0.5f);                                           \
            __m512 denominator = _mm512_add_ps(one, _mm512_mul_ps(t, u));                                 \
            __m512 d = _mm512_div_ps(_mm512_mul_ps(_mm512_mul_ps(scale, u),                               \
                                                   _mm512_mul_ps(_mm512_sub_ps(one, t), _mm512_add_ps(one, t))), denominator); \
            __mmask16 small = _mm512_cmp_ps_mask(denominator, _mm512_set1_ps(0.25f), _CMP_LT_OQ) & lanes; \
            if (small) {                                                                                  \
                __m512 after = _mm512_add_ps(ai, delta);                                                  \
                __m512 direct = _mm512_sub_ps(isTanh ? tanh_avx512(after) : sigmoid_avx512(after), hi);   \
                d = _mm512_mask_blend_ps(small, d, direct);                                               \
            }                                                                                             \
            _mm512_mask_storeu_ps(change + i, lanes, d);                                                  \
        }                                                                                                 \
    }

CHANGE_AVX512(ck_change_tanh_avx512, 1)
CHANGE_AVX512(ck_change_sigmoid_avx512, 0)

// MARK: AVX2

static inline AVX2 __m256 exp_avx2(__m256 x) {
    const __m256 roundingMagic = _mm256_set1_ps(12582912.0f);
    const __m256 high = _mm256_set1_ps(88.3f), low = _mm256_set1_ps(-87.3f);
    __m256 clamped = _mm256_blendv_ps(x, high, _mm256_cmp_ps(x, high, _CMP_GT_OQ));
    clamped = _mm256_blendv_ps(clamped, low, _mm256_cmp_ps(x, low, _CMP_LT_OQ));
    __m256 shifted = _mm256_add_ps(_mm256_mul_ps(clamped, _mm256_set1_ps(1.44269504f)), roundingMagic);
    __m256 n = _mm256_sub_ps(shifted, roundingMagic);
    __m256 r = _mm256_sub_ps(clamped, _mm256_mul_ps(n, _mm256_set1_ps(0.693145752f)));
    r = _mm256_sub_ps(r, _mm256_mul_ps(n, _mm256_set1_ps(1.4286068e-6f)));
    __m256 p = _mm256_set1_ps(1.0f / 720.0f);
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(1.0f / 120.0f));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(1.0f / 24.0f));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(1.0f / 6.0f));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(0.5f));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(1.0f));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(1.0f));
    __m256i integerN = _mm256_sub_epi32(_mm256_castps_si256(shifted), _mm256_set1_epi32(0x4B400000));
    __m256 twoToTheN = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(integerN, _mm256_set1_epi32(127)), 23));
    __m256 result = _mm256_mul_ps(p, twoToTheN);
    return _mm256_blendv_ps(result, x, _mm256_cmp_ps(x, x, _CMP_NEQ_UQ));
}

static inline AVX2 __m256 tanh_avx2(__m256 x) {
    __m256 e = exp_avx2(_mm256_mul_ps(_mm256_set1_ps(2.0f), x));
    const __m256 one = _mm256_set1_ps(1.0f);
    return _mm256_sub_ps(one, _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, one)));
}

static inline AVX2 __m256 sigmoid_avx2(__m256 x) {
    __m256 negated = _mm256_sub_ps(_mm256_setzero_ps(), x);
    const __m256 one = _mm256_set1_ps(1.0f);
    return _mm256_div_ps(one, _mm256_add_ps(one, exp_avx2(negated)));
}

#define MAP_AVX2(name, f)                                                               \
    AVX2 void name(const float *x, float *y, long count) {                             \
        long i = 0;                                                                     \
        for (; i + 8 <= count; i += 8) _mm256_storeu_ps(y + i, f(_mm256_loadu_ps(x + i))); \
        if (i < count) {                                                                \
            float tail[8] = {0};                                                        \
            memcpy(tail, x + i, (size_t)(count - i) * sizeof(float));                   \
            _mm256_storeu_ps(tail, f(_mm256_loadu_ps(tail)));                           \
            memcpy(y + i, tail, (size_t)(count - i) * sizeof(float));                   \
        }                                                                               \
    }

MAP_AVX2(ck_tanh_avx2, tanh_avx2)
MAP_AVX2(ck_sigmoid_avx2, sigmoid_avx2)

AVX2 void ck_add_velocity_and_decay_avx2(float *p, float *v, float momentum, long count) {
    const __m256 mu = _mm256_set1_ps(momentum);
    long i = 0;
    for (; i + 8 <= count; i += 8) {
        __m256 velocity = _mm256_loadu_ps(v + i);
        _mm256_storeu_ps(p + i, _mm256_add_ps(_mm256_loadu_ps(p + i), velocity));
        _mm256_storeu_ps(v + i, _mm256_mul_ps(mu, velocity));
    }
    for (; i < count; i++) { p[i] += v[i]; v[i] *= momentum; }
}

#define SCALE_BY_SLOPE_AVX2(name, slope)                                                 \
    AVX2 void name(float *g, const float *h, long count) {                              \
        const __m256 one = _mm256_set1_ps(1.0f);                                        \
        long i = 0;                                                                     \
        for (; i + 8 <= count; i += 8) {                                                \
            __m256 x = _mm256_loadu_ps(h + i);                                          \
            _mm256_storeu_ps(g + i, _mm256_mul_ps(_mm256_loadu_ps(g + i), slope));      \
        }                                                                               \
        for (; i < count; i++) {                                                        \
            __m256 x = _mm256_set1_ps(h[i]);                                            \
            g[i] = _mm256_cvtss_f32(_mm256_mul_ps(_mm256_set1_ps(g[i]), slope));        \
        }                                                                               \
    }

SCALE_BY_SLOPE_AVX2(ck_scale_by_tanh_slope_avx2, _mm256_sub_ps(one, _mm256_mul_ps(x, x)))
SCALE_BY_SLOPE_AVX2(ck_scale_by_sigmoid_slope_avx2, _mm256_mul_ps(x, _mm256_sub_ps(one, x)))

AVX2 void ck_sum_rows_avx2(const float *x, long rows, long columns, float scale, float *sums) {
    long block = 0;
    for (; block + 64 <= columns; block += 64) {
        __m256 sum[8];
        for (int j = 0; j < 8; j++) sum[j] = _mm256_setzero_ps();
        for (long r = 0; r < rows; r++) {
            const float *row = x + r * columns + block;
            for (int j = 0; j < 8; j++) sum[j] = _mm256_add_ps(sum[j], _mm256_loadu_ps(row + 8 * j));
        }
        for (int j = 0; j < 8; j++) _mm256_storeu_ps(sums + block + 8 * j, _mm256_mul_ps(sum[j], _mm256_set1_ps(scale)));
    }
    for (long c = block; c < columns; c++) {
        float sum = 0;
        for (long r = 0; r < rows; r++) sum += x[r * columns + c];
        sums[c] = sum * scale;
    }
}

AVX2 void ck_bytes_to_floats_avx2(const unsigned char *bytes, float *y, long count, float scale, const float *gain, const float *offset) {
    const __m256 s = _mm256_set1_ps(scale);
    long i = 0;
    for (; i + 8 <= count; i += 8) {
        __m256 value = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(bytes + i)))), s);
        if (gain) value = _mm256_add_ps(_mm256_mul_ps(value, _mm256_loadu_ps(gain + i)), _mm256_loadu_ps(offset + i));
        _mm256_storeu_ps(y + i, value);
    }
    for (; i < count; i++) {
        float value = (float)bytes[i] * scale;
        y[i] = gain ? value * gain[i] + offset[i] : value;
    }
}

AVX2 void ck_adam_avx2(float *p, const float *g, float *m, float *v, long count, float b1, float c1, float b2, float c2,
                       float stepSize, float epsilon) {
    const __m256 B1 = _mm256_set1_ps(b1), C1 = _mm256_set1_ps(c1), B2 = _mm256_set1_ps(b2), C2 = _mm256_set1_ps(c2);
    const __m256 step = _mm256_set1_ps(stepSize), eps = _mm256_set1_ps(epsilon);
    long i = 0;
    for (; i + 8 <= count; i += 8) {
        __m256 gi = _mm256_loadu_ps(g + i);
        __m256 mi = _mm256_add_ps(_mm256_mul_ps(B1, _mm256_loadu_ps(m + i)), _mm256_mul_ps(C1, gi));
        __m256 vi = _mm256_add_ps(_mm256_mul_ps(B2, _mm256_loadu_ps(v + i)), _mm256_mul_ps(_mm256_mul_ps(C2, gi), gi));
        _mm256_storeu_ps(m + i, mi);
        _mm256_storeu_ps(v + i, vi);
        __m256 change = _mm256_div_ps(_mm256_mul_ps(step, mi), _mm256_add_ps(_mm256_sqrt_ps(vi), eps));
        _mm256_storeu_ps(p + i, _mm256_sub_ps(_mm256_loadu_ps(p + i), change));
    }
    for (; i < count; i++) {
        m[i] = b1 * m[i] + c1 * g[i];
        v[i] = b2 * v[i] + c2 * g[i] * g[i];
        p[i] -= stepSize * m[i] / (_mm_cvtss_f32(_mm_sqrt_ss(_mm_set_ss(v[i]))) + epsilon);
    }
}

static inline AVX2 __m256 tanh_relative_avx2(__m256 x) {
    __m256 x2 = _mm256_mul_ps(x, x);
    __m256 series = _mm256_set1_ps(62.0f / 2835.0f);
    series = _mm256_sub_ps(_mm256_mul_ps(series, x2), _mm256_set1_ps(17.0f / 315.0f));
    series = _mm256_add_ps(_mm256_mul_ps(series, x2), _mm256_set1_ps(2.0f / 15.0f));
    series = _mm256_sub_ps(_mm256_mul_ps(series, x2), _mm256_set1_ps(1.0f / 3.0f));
    series = _mm256_mul_ps(_mm256_add_ps(_mm256_mul_ps(series, x2), _mm256_set1_ps(1.0f)), x);
    return _mm256_blendv_ps(tanh_avx2(x), series, _mm256_cmp_ps(x2, _mm256_set1_ps(0.0625f), _CMP_LT_OQ));
}

static inline AVX2 __m256 change_avx2(__m256 ai, __m256 hi, __m256 delta, int isTanh) {
    const __m256 one = _mm256_set1_ps(1.0f);
    __m256 t = isTanh ? hi : _mm256_sub_ps(_mm256_mul_ps(_mm256_set1_ps(2.0f), hi), one);
    __m256 u = tanh_relative_avx2(isTanh ? delta : _mm256_mul_ps(_mm256_set1_ps(0.5f), delta));
    __m256 scale = _mm256_set1_ps(isTanh ? 1.0f : 0.5f);
    __m256 denominator = _mm256_add_ps(one, _mm256_mul_ps(t, u));
    __m256 d = _mm256_div_ps(_mm256_mul_ps(_mm256_mul_ps(scale, u), _mm256_mul_ps(_mm256_sub_ps(one, t), _mm256_add_ps(one, t))),
                             denominator);
    __m256 small = _mm256_cmp_ps(denominator, _mm256_set1_ps(0.25f), _CMP_LT_OQ);
    if (_mm256_movemask_ps(small)) {
        __m256 after = _mm256_add_ps(ai, delta);
        d = _mm256_blendv_ps(d, _mm256_sub_ps(isTanh ? tanh_avx2(after) : sigmoid_avx2(after), hi), small);
    }
    return d;
}

#define CHANGE_AVX2(name, isTanh)                                                                          \
    AVX2 void name(const float *a, const float *h, const float *shift, float *change, long count) {       \
        long i = 0;                                                                                       \
        for (; i + 8 <= count; i += 8)                                                                    \
            _mm256_storeu_ps(change + i, change_avx2(_mm256_loadu_ps(a + i), _mm256_loadu_ps(h + i),      \
                                                     _mm256_loadu_ps(shift + i), isTanh));                \
        if (i < count) {                                                                                  \
            float ta[8] = {0}, th[8] = {0}, ts[8] = {0};                                                  \
            size_t bytes = (size_t)(count - i) * sizeof(float);                                           \
            memcpy(ta, a + i, bytes); memcpy(th, h + i, bytes); memcpy(ts, shift + i, bytes);             \
            _mm256_storeu_ps(ta, change_avx2(_mm256_loadu_ps(ta), _mm256_loadu_ps(th), _mm256_loadu_ps(ts), isTanh)); \
            memcpy(change + i, ta, bytes);                                                                \
        }                                                                                                 \
    }

CHANGE_AVX2(ck_change_tanh_avx2, 1)
CHANGE_AVX2(ck_change_sigmoid_avx2, 0)

#else

// Other architectures never select these variants (VectorKernels.level stays portable); the
// definitions only keep the symbols linkable.
void ck_tanh_avx512(const float *x, float *y, long count) { (void)x; (void)y; (void)count; }
void ck_tanh_avx2(const float *x, float *y, long count) { (void)x; (void)y; (void)count; }
void ck_sigmoid_avx512(const float *x, float *y, long count) { (void)x; (void)y; (void)count; }
void ck_sigmoid_avx2(const float *x, float *y, long count) { (void)x; (void)y; (void)count; }
void ck_add_velocity_and_decay_avx512(float *p, float *v, float momentum, long count) { (void)p; (void)v; (void)momentum; (void)count; }
void ck_add_velocity_and_decay_avx2(float *p, float *v, float momentum, long count) { (void)p; (void)v; (void)momentum; (void)count; }
void ck_scale_by_tanh_slope_avx512(float *g, const float *h, long count) { (void)g; (void)h; (void)count; }
void ck_scale_by_tanh_slope_avx2(float *g, const float *h, long count) { (void)g; (void)h; (void)count; }
void ck_scale_by_sigmoid_slope_avx512(float *g, const float *h, long count) { (void)g; (void)h; (void)count; }
void ck_scale_by_sigmoid_slope_avx2(float *g, const float *h, long count) { (void)g; (void)h; (void)count; }
void ck_sum_rows_avx512(const float *x, long rows, long columns, float scale, float *sums) { (void)x; (void)rows; (void)columns; (void)scale; (void)sums; }
void ck_sum_rows_avx2(const float *x, long rows, long columns, float scale, float *sums) { (void)x; (void)rows; (void)columns; (void)scale; (void)sums; }
void ck_bytes_to_floats_avx512(const unsigned char *bytes, float *y, long count, float scale, const float *gain, const float *offset) { (void)bytes; (void)y; (void)count; (void)scale; (void)gain; (void)offset; }
void ck_bytes_to_floats_avx2(const unsigned char *bytes, float *y, long count, float scale, const float *gain, const float *offset) { (void)bytes; (void)y; (void)count; (void)scale; (void)gain; (void)offset; }
void ck_change_tanh_avx512(const float *a, const float *h, const float *shift, float *change, long count) { (void)a; (void)h; (void)shift; (void)change; (void)count; }
void ck_change_tanh_avx2(const float *a, const float *h, const float *shift, float *change, long count) { (void)a; (void)h; (void)shift; (void)change; (void)count; }
void ck_change_sigmoid_avx512(const float *a, const float *h, const float *shift, float *change, long count) { (void)a; (void)h; (void)shift; (void)change; (void)count; }
void ck_change_sigmoid_avx2(const float *a, const float *h, const float *shift, float *change, long count) { (void)a; (void)h; (void)shift; (void)change; (void)count; }
void ck_adam_avx512(float *p, const float *g, float *m, float *v, long count, float b1, float c1, float b2, float c2, float stepSize, float epsilon) {
    (void)p; (void)g; (void)m; (void)v; (void)count; (void)b1; (void)c1; (void)b2; (void)c2; (void)stepSize; (void)epsilon;
}
void ck_adam_avx2(float *p, const float *g, float *m, float *v, long count, float b1, float c1, float b2, float c2, float stepSize, float epsilon) {
    (void)p; (void)g; (void)m; (void)v; (void)count; (void)b1; (void)c1; (void)b2; (void)c2; (void)stepSize; (void)epsilon;
}

#endif
