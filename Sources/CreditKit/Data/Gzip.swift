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
        return try inflateStream(compressed, file: file)
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
    /// detection); MAT files store their compressed elements as zlib streams.
    ///
    /// Two passes: the first inflates into a 1 MiB scratch buffer only to verify the whole stream
    /// (zlib checks the gzip CRC and length) and count its bytes; the second fills an array of
    /// exactly that size. A corrupt or truncated stream — a cut download, whose trailer's ISIZE is
    /// whatever bytes it ends in — is refused having allocated 1 MiB, and a good one is held once.
    static func inflateStream(_ compressed: [UInt8], file: String) throws(DataError) -> [UInt8] {
        guard !compressed.isEmpty else { throw .corruptGzip(file: file, reason: "empty compressed stream") }
        var scratch = [UInt8](repeating: 0, count: 1 << 20)
        let size = try scratch.withUnsafeMutableBufferPointer { buffer throws(DataError) in
            try inflate(compressed, file: file, into: buffer, wrapping: true)
        }
        // One spare byte, so that zlib always has room to finish the stream's trailer in the call
        // that ends it; a stream that fills it has changed since it was counted.
        var output = [UInt8](repeating: 0, count: size + 1)
        let produced = try output.withUnsafeMutableBufferPointer { buffer throws(DataError) in
            try inflate(compressed, file: file, into: buffer, wrapping: false)
        }
        guard produced == size else { throw .corruptGzip(file: file, reason: "the stream changed while it was read") }
        output.removeLast()
        return output
    }

    /// Inflates every member of `compressed` into `output` and returns the bytes produced. With
    /// `wrapping`, `output` is scratch space reused from its start whenever it fills.
    private static func inflate(_ compressed: [UInt8], file: String, into output: UnsafeMutableBufferPointer<UInt8>,
                                wrapping: Bool) throws(DataError) -> Int {
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw .corruptGzip(file: file, reason: "zlib could not start")
        }
        defer { inflateEnd(&stream) }
        var produced = 0, position = 0
        var failure: DataError?
        compressed.withUnsafeBufferPointer { input in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress!)
            stream.avail_in = UInt32(input.count)
            while true {
                if position == output.count {
                    guard wrapping else {
                        failure = .corruptGzip(file: file, reason: "the stream changed while it was read")
                        return
                    }
                    position = 0
                }
                stream.next_out = output.baseAddress! + position
                stream.avail_out = UInt32(min(output.count - position, Int(UInt32.max)))
                let before = stream.avail_out
                let status = CZlib.inflate(&stream, Z_NO_FLUSH)
                let n = Int(before - stream.avail_out)
                produced += n
                position += n
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
        return produced
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
