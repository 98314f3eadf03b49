import CZlib
import Foundation

/// Reads gzip-compressed files (RFC 1952) through zlib, including multi-member files.
public enum Gzip {
    /// Whether `bytes` start with the gzip magic number `1f 8b`.
    public static func isCompressed(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
    }

    /// The decompressed contents of `compressed`; `file` names it in errors.
    public static func decompress(_ compressed: [UInt8], file: String) throws(DataError) -> [UInt8] {
        guard isCompressed(compressed) else {
            throw .corruptGzip(file: file, reason: "expected the gzip magic number 1f 8b at the start")
        }
        guard compressed.count >= 18 else {
            throw .corruptGzip(file: file, reason: "file is \(compressed.count) bytes, shorter than any gzip stream")
        }
        // The trailer's ISIZE (length mod 2³²) is only a hint: a truncated download ends in arbitrary
        // bytes, which would otherwise reserve up to 4 GiB before the stream is found short. It is
        // believed up to deflate's largest ratio (1032:1) and 64 MiB; past that the buffer grows.
        let n = compressed.count
        let isize = Int(compressed[n - 4]) | Int(compressed[n - 3]) << 8 | Int(compressed[n - 2]) << 16 | Int(compressed[n - 1]) << 24
        return try inflateStream(compressed, capacity: min(isize, 1032 * n), file: file)
    }

    /// Compresses `bytes` into a zlib (RFC 1950) stream (for PNG images and tests).
    static func deflateStream(_ bytes: [UInt8]) -> [UInt8] {
        var length = compressBound(uLong(bytes.count))
        var output = [UInt8](repeating: 0, count: Int(length))
        let status = compress2(&output, &length, bytes, uLong(bytes.count), 6)
        precondition(status == Z_OK, "zlib compress2 failed with \(status) on an in-memory buffer of sufficient size")
        return Array(output[0..<Int(length)])
    }

    /// Inflates a zlib (RFC 1950) or gzip stream, told apart by its header (zlib's automatic
    /// detection); MAT files store their compressed elements as zlib streams. The output buffer
    /// starts at `capacity` (at most 64 MiB) and grows by half as the stream proves longer, so a
    /// corrupt stream never costs more memory than the data it really holds.
    static func inflateStream(_ compressed: [UInt8], capacity: Int, file: String) throws(DataError) -> [UInt8] {
        guard !compressed.isEmpty else { throw .corruptGzip(file: file, reason: "empty compressed stream") }
        var output = [UInt8](repeating: 0, count: min(max(capacity, 4096), 64 << 20))
        var produced = 0

        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw .corruptGzip(file: file, reason: "zlib could not start")
        }
        defer { inflateEnd(&stream) }

        var failure: DataError?
        compressed.withUnsafeBufferPointer { input in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress!)
            stream.avail_in = UInt32(input.count)
            while true {
                if produced == output.count {
                    output.append(contentsOf: repeatElement(0, count: output.count / 2))
                }
                let status: Int32 = output.withUnsafeMutableBufferPointer { out in
                    stream.next_out = out.baseAddress! + produced
                    stream.avail_out = UInt32(min(out.count - produced, Int(UInt32.max)))
                    let before = stream.avail_out
                    let status = inflate(&stream, Z_NO_FLUSH)
                    produced += Int(before - stream.avail_out)
                    return status
                }
                switch status {
                case Z_OK:
                    continue
                case Z_STREAM_END:
                    // Another gzip member may follow (concatenated files are valid gzip).
                    if stream.avail_in > 0 && stream.next_in[0] == 0x1F {
                        inflateReset(&stream)
                        continue
                    }
                    return
                case Z_BUF_ERROR where stream.avail_in == 0:
                    failure = .corruptGzip(file: file, reason: "truncated: the stream ends after \(compressed.count) bytes, before its end marker")
                    return
                case Z_BUF_ERROR:
                    continue
                default:
                    let message = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                    failure = .corruptGzip(file: file, reason: message)
                    return
                }
            }
        }
        if let failure { throw failure }
        output.removeSubrange(produced...)
        return output
    }
}

/// Reads a whole file into bytes, decompressing it when it is gzip.
enum FileBytes {
    static func read(_ path: String) throws(DataError) -> [UInt8] {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw .unreadable(file: path, reason: (error as NSError).localizedDescription)
        }
        let bytes = [UInt8](data)
        return Gzip.isCompressed(bytes) || path.hasSuffix(".gz") ? try Gzip.decompress(bytes, file: path) : bytes
    }
}
