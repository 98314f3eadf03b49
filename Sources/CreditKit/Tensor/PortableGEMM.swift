/// The portable single-precision GEMM: `C ← α·op(A)·op(B) + β·C`, all row-major.
///
/// This is the fallback used when no BLAS library can be loaded, and the reference the BLAS
/// path is tested against. It is blocked for cache reuse and written so the inner loops run
/// over contiguous memory with `SIMD8<Float>`; it is a few times slower than a tuned BLAS.
///
/// - Parameters: `m`, `n`, `k` are the shapes of `op(A)` (m × k), `op(B)` (k × n) and C (m × n);
///   `lda`, `ldb`, `ldc` the row strides of the stored matrices.
enum PortableGEMM {
    static func gemm(
        transA: Transpose, transB: Transpose, m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        scale(c, rows: m, columns: n, stride: ldc, by: beta)
        guard k > 0, alpha != 0 else { return }
        switch (transA, transB) {
        case (.none, .none):
            // C[i, :] += α A[i, p] B[p, :]
            axpyRows(m: m, n: n, k: k, alpha: alpha, c: c, ldc: ldc) { i, p in a[i * lda + p] }
                rowOfB: { p in b + p * ldb }
        case (.transposed, .none):
            // C[i, :] += α A[p, i] B[p, :]
            axpyRows(m: m, n: n, k: k, alpha: alpha, c: c, ldc: ldc) { i, p in a[p * lda + i] }
                rowOfB: { p in b + p * ldb }
        case (.none, .transposed):
            // C[i, j] += α ⟨A[i, :], B[j, :]⟩ — both rows contiguous.
            for i in 0..<m {
                let rowA = a + i * lda
                let rowC = c + i * ldc
                for j in 0..<n {
                    rowC[j] += alpha * dot(rowA, b + j * ldb, count: k)
                }
            }
        case (.transposed, .transposed):
            // Rare; C[i, j] += α Σ_p A[p, i] B[j, p].
            for i in 0..<m {
                for j in 0..<n {
                    var sum: Float = 0
                    let rowB = b + j * ldb
                    for p in 0..<k { sum += a[p * lda + i] * rowB[p] }
                    c[i * ldc + j] += alpha * sum
                }
            }
        }
    }

    private static func scale(_ c: UnsafeMutablePointer<Float>, rows: Int, columns: Int, stride: Int, by beta: Float) {
        guard beta != 1 else { return }
        for i in 0..<rows {
            let row = c + i * stride
            if beta == 0 {
                row.update(repeating: 0, count: columns)
            } else {
                for j in 0..<columns { row[j] *= beta }
            }
        }
    }

    /// Rank-1 row updates `C[i, :] += α · coefficient(i, p) · B[p, :]`, four rows of C and a
    /// column block at a time so that each loaded block of `B[p, :]` serves four rows.
    @inline(__always)
    private static func axpyRows(
        m: Int, n: Int, k: Int, alpha: Float, c: UnsafeMutablePointer<Float>, ldc: Int,
        coefficient: (Int, Int) -> Float, rowOfB: (Int) -> UnsafePointer<Float>
    ) {
        let columnBlock = 256
        let depthBlock = 128
        var j0 = 0
        while j0 < n {
            let width = min(columnBlock, n - j0)
            var p0 = 0
            while p0 < k {
                let depth = min(depthBlock, k - p0)
                var i = 0
                while i + 4 <= m {
                    let c0 = c + i * ldc + j0, c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc
                    for p in p0..<(p0 + depth) {
                        let s0 = alpha * coefficient(i, p), s1 = alpha * coefficient(i + 1, p)
                        let s2 = alpha * coefficient(i + 2, p), s3 = alpha * coefficient(i + 3, p)
                        let bRow = rowOfB(p) + j0
                        var j = 0
                        while j + 8 <= width {
                            let bv = load8(bRow + j)
                            store8(load8(c0 + j) + s0 * bv, c0 + j)
                            store8(load8(c1 + j) + s1 * bv, c1 + j)
                            store8(load8(c2 + j) + s2 * bv, c2 + j)
                            store8(load8(c3 + j) + s3 * bv, c3 + j)
                            j += 8
                        }
                        while j < width {
                            let bj = bRow[j]
                            c0[j] += s0 * bj; c1[j] += s1 * bj; c2[j] += s2 * bj; c3[j] += s3 * bj
                            j += 1
                        }
                    }
                    i += 4
                }
                while i < m {
                    let c0 = c + i * ldc + j0
                    for p in p0..<(p0 + depth) {
                        let s0 = alpha * coefficient(i, p)
                        let bRow = rowOfB(p) + j0
                        var j = 0
                        while j + 8 <= width {
                            store8(load8(c0 + j) + s0 * load8(bRow + j), c0 + j)
                            j += 8
                        }
                        while j < width { c0[j] += s0 * bRow[j]; j += 1 }
                    }
                    i += 1
                }
                p0 += depth
            }
            j0 += width
        }
    }

    @inline(__always)
    static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
        var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>()
        var p = 0
        while p + 16 <= count {
            acc0 += load8(x + p) * load8(y + p)
            acc1 += load8(x + p + 8) * load8(y + p + 8)
            p += 16
        }
        var sum = (acc0 + acc1).sum()
        while p < count { sum += x[p] * y[p]; p += 1 }
        return sum
    }
}

@inline(__always)
func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always)
func load8(_ p: UnsafeMutablePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always)
func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}
