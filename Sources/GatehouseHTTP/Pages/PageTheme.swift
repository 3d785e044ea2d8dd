import Foundation
import GatehouseIdentity

/// The tenant's branding as the hosted pages use it: CSS values and URLs checked again here
/// (a stored value that does not pass is ignored, never written into a page), and the origins
/// the page's Content-Security-Policy must allow for them.
struct PageTheme: Sendable, Equatable {
    static let defaultPrimary = "#1d4ed8"
    static let defaultBackground = "#f3f4f6"

    /// Buttons and links.
    var primary = defaultPrimary
    /// Text on a primary-coloured button: white, or near-black on a light primary colour.
    var onPrimary = "#ffffff"
    /// A CSS `background` value: a colour or `linear-gradient(<n>deg, <colour>, <colour>)`.
    var background = defaultBackground
    var logoURL: String?
    var faviconURL: String?
    var fontURL: String?
    /// `img-src` sources (the logo's and the favicon's origins).
    var imageOrigins: [String] = []
    /// `font-src` sources.
    var fontOrigins: [String] = []

    init() {}

    init(_ branding: BrandingSettings) {
        if let primary = branding.colors?.primary, BrandingValidation.isColor(primary) {
            self.primary = primary
            onPrimary = Self.isLight(primary) ? "#111827" : "#ffffff"
        }
        switch branding.colors?.page_background {
        case .color(let color) where BrandingValidation.isColor(color):
            background = color
        case .gradient(let gradient)
        where BrandingValidation.isColor(gradient.start) && BrandingValidation.isColor(gradient.end)
            && (-360...360).contains(gradient.angle_deg):
            background = "linear-gradient(\(gradient.angle_deg)deg, \(gradient.start), \(gradient.end))"
        default:
            break
        }
        if let logo = branding.logo_url, let origin = BrandingValidation.httpsOrigin(logo) {
            logoURL = logo
            imageOrigins.append(origin)
        }
        if let favicon = branding.favicon_url, let origin = BrandingValidation.httpsOrigin(favicon) {
            faviconURL = favicon
            if !imageOrigins.contains(origin) { imageOrigins.append(origin) }
        }
        if let font = branding.font?.url, let origin = BrandingValidation.httpsOrigin(font) {
            fontURL = font
            fontOrigins.append(origin)
        }
    }

    /// Whether dark text reads better than white on `color` (WCAG relative luminance above the
    /// point where both contrasts are equal).
    static func isLight(_ color: String) -> Bool {
        var digits = Array(color.dropFirst())
        if digits.count == 3 { digits = digits.flatMap { [$0, $0] } }
        let channels = stride(from: 0, to: 6, by: 2).map { index -> Double in
            let value = Double(Int(String(digits[index...index + 1]), radix: 16) ?? 0) / 255
            return value <= 0.04045 ? value / 12.92 : pow((value + 0.055) / 1.055, 2.4)
        }
        let luminance = 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]
        return luminance > 0.179
    }

    /// What the templates read under `brand`.
    var values: [String: Any] {
        var values: [String: Any] = ["primary": primary, "on_primary": onPrimary, "background": background]
        if let logoURL { values["logo_url"] = logoURL }
        if let faviconURL { values["favicon_url"] = faviconURL }
        if let fontURL { values["font_url"] = fontURL }
        return values
    }
}
