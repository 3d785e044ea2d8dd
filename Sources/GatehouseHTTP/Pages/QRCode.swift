import CQRCodeGen
import Foundation

/// A QR code (ISO/IEC 18004, Model 2) encoded by Nayuki's QR Code generator, the C library
/// Debian ships as `libqrcodegen-dev`: the TOTP enrolment page shows the `otpauth://` URI as one.
struct QRCode: Sendable {
    /// Modules per side (21 to 177).
    let size: Int
    private let modules: [Bool]

    /// `qrcodegen_BUFFER_LEN_FOR_VERSION(qrcodegen_VERSION_MAX)`: a C macro Swift cannot import.
    static let bufferLength = (177 * 177 + 7) / 8 + 1

    /// Encodes `text` as UTF-8 at error-correction level M (boosted when the version has room);
    /// `nil` when it does not fit in a version 40 code (about 2,300 bytes at level M).
    init?(_ text: String) {
        var temporary = [UInt8](repeating: 0, count: Self.bufferLength)
        var qrcode = [UInt8](repeating: 0, count: Self.bufferLength)
        let encoded = text.withCString { pointer in
            qrcodegen_encodeText(
                pointer, &temporary, &qrcode, qrcodegen_Ecc_MEDIUM, qrcodegen_VERSION_MIN, qrcodegen_VERSION_MAX,
                qrcodegen_Mask_AUTO, true)
        }
        guard encoded else { return nil }
        let size = Int(qrcodegen_getSize(qrcode))
        var modules: [Bool] = []
        modules.reserveCapacity(size * size)
        for y in 0..<size {
            for x in 0..<size { modules.append(qrcodegen_getModule(qrcode, Int32(x), Int32(y))) }
        }
        self.size = size
        self.modules = modules
    }

    /// Whether the module at column `x`, row `y` is dark; outside the code (the quiet zone) is light.
    func isDark(x: Int, y: Int) -> Bool {
        (0..<size).contains(x) && (0..<size).contains(y) && modules[y * size + x]
    }

    /// An SVG image: one path of unit squares for the dark modules on a white background, with a
    /// quiet zone of `border` modules (the standard asks for 4). Scales to any size without blur.
    func svg(border: Int = 4, label: String = "QR code") -> String {
        let side = size + 2 * border
        var path = ""
        path.reserveCapacity(size * size * 4)
        for y in 0..<size {
            for x in 0..<size where modules[y * size + x] {
                path += "M\(x + border),\(y + border)h1v1h-1z"
            }
        }
        let escaped = label.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        return """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(side) \(side)" shape-rendering="crispEdges" \
            role="img" aria-label="\(escaped)"><rect width="100%" height="100%" fill="#fff"/>\
            <path d="\(path)" fill="#000"/></svg>
            """
    }
}
