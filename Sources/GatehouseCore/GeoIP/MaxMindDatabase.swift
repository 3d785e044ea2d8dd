import Foundation

/// A MaxMind DB file (GeoLite2 / GeoIP2 `.mmdb`), read into memory and searched by IP address,
/// as the "MaxMind DB File Format Specification" 2.0 describes it: a binary search tree over
/// the address bits whose leaves point into a data section of typed values, and a metadata map
/// after the `\xAB\xCD\xEFMaxMind.com` marker.
///
/// Written here because no MaxMind reader is among the project's packages; it decodes every
/// data type of the specification and nothing else.
public struct MaxMindDatabase: Sendable {
    public enum Failure: Error, CustomStringConvertible {
        case unreadable(String)
        case invalid(String)

        public var description: String {
            switch self {
            case .unreadable(let path): "cannot read the GeoIP database \(path)"
            case .invalid(let why): "not a MaxMind DB file: \(why)"
            }
        }
    }

    let bytes: [UInt8]
    public let metadata: [String: JSONValue]
    let nodeCount: Int
    let recordSize: Int
    let ipVersion: Int
    let dataSectionStart: Int
    /// The node where IPv4 addresses start in an IPv6 tree (after 96 zero bits).
    let ipv4Start: Int

    static let marker: [UInt8] = [0xAB, 0xCD, 0xEF] + Array("MaxMind.com".utf8)

    public init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw Failure.unreadable(path) }
        try self.init(bytes: [UInt8](data))
    }

    public init(bytes: [UInt8]) throws {
        self.bytes = bytes
        guard let markerOffset = Self.lastMarker(in: bytes) else { throw Failure.invalid("no metadata marker") }
        var decoder = Decoder(bytes: bytes, base: markerOffset + Self.marker.count)
        guard let metadata = try decoder.value(at: markerOffset + Self.marker.count).objectValue,
            let nodeCount = metadata["node_count"]?.numberValue, let recordSize = metadata["record_size"]?.numberValue,
            let ipVersion = metadata["ip_version"]?.numberValue
        else { throw Failure.invalid("metadata without node_count, record_size or ip_version") }
        guard [24, 28, 32].contains(Int(recordSize)), [4, 6].contains(Int(ipVersion)) else {
            throw Failure.invalid("record size \(recordSize), IP version \(ipVersion)")
        }
        self.metadata = metadata
        self.nodeCount = Int(nodeCount)
        self.recordSize = Int(recordSize)
        self.ipVersion = Int(ipVersion)
        let treeSize = Int(recordSize) * 2 / 8 * Int(nodeCount)
        dataSectionStart = treeSize + 16
        guard dataSectionStart <= markerOffset else { throw Failure.invalid("the search tree is larger than the file") }
        var node = 0
        if ipVersion == 6 {
            for _ in 0..<96 where node < Int(nodeCount) { node = Self.record(bytes, node: node, bit: 0, recordSize: Int(recordSize)) }
        }
        ipv4Start = node
    }

    /// The record for `address` (dotted IPv4 or IPv6 text), or `nil` when the database has none.
    public func lookup(_ address: String) -> JSONValue? {
        guard let bits = Self.addressBits(address) else { return nil }
        var node: Int
        if bits.count == 32 {
            node = ipVersion == 6 ? ipv4Start : 0
        } else {
            guard ipVersion == 6 else { return nil }
            node = 0
        }
        for bit in bits {
            guard node < nodeCount else { break }
            node = Self.record(bytes, node: node, bit: bit, recordSize: recordSize)
        }
        guard node > nodeCount else { return nil }
        let offset = dataSectionStart + (node - nodeCount - 16)
        var decoder = Decoder(bytes: bytes, base: dataSectionStart)
        return try? decoder.value(at: offset)
    }

    static func record(_ bytes: [UInt8], node: Int, bit: UInt8, recordSize: Int) -> Int {
        func byte(_ index: Int) -> Int { index < bytes.count ? Int(bytes[index]) : 0 }
        switch recordSize {
        case 24:
            let base = node * 6 + (bit == 0 ? 0 : 3)
            return byte(base) << 16 | byte(base + 1) << 8 | byte(base + 2)
        case 28:
            let base = node * 7
            if bit == 0 { return (byte(base + 3) & 0xF0) << 20 | byte(base) << 16 | byte(base + 1) << 8 | byte(base + 2) }
            return (byte(base + 3) & 0x0F) << 24 | byte(base + 4) << 16 | byte(base + 5) << 8 | byte(base + 6)
        default:
            let base = node * 8 + (bit == 0 ? 0 : 4)
            return byte(base) << 24 | byte(base + 1) << 16 | byte(base + 2) << 8 | byte(base + 3)
        }
    }

    static func lastMarker(in bytes: [UInt8]) -> Int? {
        guard bytes.count >= marker.count else { return nil }
        let lowest = max(0, bytes.count - 128 * 1024)
        var start = bytes.count - marker.count
        while start >= lowest {
            if bytes[start] == marker[0] && Array(bytes[start..<start + marker.count]) == marker { return start }
            start -= 1
        }
        return nil
    }

    /// The address's bits, most significant first: 32 for IPv4, 128 for IPv6.
    static func addressBits(_ text: String) -> [UInt8]? {
        var address = text
        if address.hasPrefix("::ffff:"), address.contains(".") { address.removeFirst(7) }
        var v4 = in_addr()
        if inet_pton(AF_INET, address, &v4) == 1 {
            return withUnsafeBytes(of: v4) { bits(of: Array($0)) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, address, &v6) == 1 {
            return withUnsafeBytes(of: v6) { bits(of: Array($0)) }
        }
        return nil
    }

    private static func bits(of bytes: [UInt8]) -> [UInt8] {
        bytes.flatMap { byte in (0..<8).map { (byte >> (7 - $0)) & 1 } }
    }

    /// Reads the data section's typed values (specification §"Output Data Section").
    struct Decoder {
        let bytes: [UInt8]
        /// Pointers are offsets from here (the data section, or the metadata).
        let base: Int

        mutating func value(at offset: Int) throws -> JSONValue {
            var cursor = offset
            return try decode(&cursor, depth: 0)
        }

        func byte(_ index: Int) throws -> Int {
            guard index >= 0, index < bytes.count else { throw Failure.invalid("a value runs past the end of the file") }
            return Int(bytes[index])
        }

        func unsigned(_ cursor: inout Int, count: Int) throws -> UInt64 {
            var value: UInt64 = 0
            for _ in 0..<count {
                value = value << 8 | UInt64(try byte(cursor))
                cursor += 1
            }
            return value
        }

        func decode(_ cursor: inout Int, depth: Int) throws -> JSONValue {
            guard depth < 64 else { throw Failure.invalid("values nested too deeply") }
            let control = try byte(cursor)
            cursor += 1
            var type = control >> 5
            if type == 1 {
                let sizeBits = (control >> 3) & 0x3
                let low = control & 0x7
                let pointer: Int
                switch sizeBits {
                case 0: pointer = low << 8 | Int(try unsigned(&cursor, count: 1))
                case 1: pointer = (low << 16 | Int(try unsigned(&cursor, count: 2))) + 2048
                case 2: pointer = (low << 24 | Int(try unsigned(&cursor, count: 3))) + 526_336
                default: pointer = Int(try unsigned(&cursor, count: 4))
                }
                var target = base + pointer
                return try decode(&target, depth: depth + 1)
            }
            if type == 0 {
                type = 7 + (try byte(cursor))
                cursor += 1
            }
            var size = control & 0x1f
            switch size {
            case 29: size = 29 + Int(try unsigned(&cursor, count: 1))
            case 30: size = 285 + Int(try unsigned(&cursor, count: 2))
            case 31: size = 65_821 + Int(try unsigned(&cursor, count: 3))
            default: break
            }
            switch type {
            case 2:  // UTF-8 string
                guard cursor + size <= bytes.count else { throw Failure.invalid("a string runs past the end of the file") }
                defer { cursor += size }
                return .string(String(decoding: bytes[cursor..<cursor + size], as: UTF8.self))
            case 3:  // double
                guard size == 8 else { throw Failure.invalid("a double of \(size) bytes") }
                return .number(Double(bitPattern: try unsigned(&cursor, count: 8)))
            case 4:  // bytes
                defer { cursor += size }
                return .string(Data(bytes[cursor..<min(bytes.count, cursor + size)]).base64EncodedString())
            case 5, 6, 9:  // uint16, uint32, uint64
                return .number(Double(try unsigned(&cursor, count: size)))
            case 10:  // uint128, kept as text
                let high = size > 8 ? try unsigned(&cursor, count: size - 8) : 0
                let low = try unsigned(&cursor, count: min(size, 8))
                return high == 0 ? .number(Double(low)) : .string("\(high)*2^64+\(low)")
            case 8:  // int32: shorter encodings are not sign-extended (as MaxMind's own readers do)
                return .number(Double(Int32(bitPattern: UInt32(truncatingIfNeeded: try unsigned(&cursor, count: size)))))
            case 7:  // map
                var object: [String: JSONValue] = [:]
                for _ in 0..<size {
                    guard case .string(let key) = try decode(&cursor, depth: depth + 1) else {
                        throw Failure.invalid("a map key is not a string")
                    }
                    object[key] = try decode(&cursor, depth: depth + 1)
                }
                return .object(object)
            case 11:  // array
                var array: [JSONValue] = []
                for _ in 0..<size { array.append(try decode(&cursor, depth: depth + 1)) }
                return .array(array)
            case 14:  // boolean: the size is the value
                return .bool(size != 0)
            case 15:  // float
                guard size == 4 else { throw Failure.invalid("a float of \(size) bytes") }
                return .number(Double(Float(bitPattern: UInt32(try unsigned(&cursor, count: 4)))))
            default:  // 12 data cache container, 13 end marker: never in a record
                throw Failure.invalid("unexpected data type \(type)")
            }
        }
    }
}
