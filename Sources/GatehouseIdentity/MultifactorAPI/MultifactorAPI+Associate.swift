import GatehouseCore
import GatehouseStorage

extension MultifactorAPI {
    /// What `/mfa/associate` was asked for (`authenticator_types`, `oob_channels`, `phone_number`).
    public struct AssociateRequest: Sendable {
        public var authenticatorTypes: [String]
        public var oobChannels: [String]
        public var phoneNumber: String?

        public init(authenticatorTypes: [String], oobChannels: [String], phoneNumber: String?) {
            self.authenticatorTypes = authenticatorTypes
            self.oobChannels = oobChannels
            self.phoneNumber = phoneNumber
        }
    }

    /// `/mfa/associate`'s answer (Auth0's fields; absent ones are left out).
    public struct Association: Codable, Sendable, Equatable {
        public var authenticator_type: String
        /// OTP: the key in base32, for typing into an app by hand.
        public var secret: String?
        /// OTP: the `otpauth://` URI to show as a QR code.
        public var barcode_uri: String?
        /// OOB: `sms`.
        public var oob_channel: String?
        /// OOB: send it back to the `mfa-oob` grant with the code the SMS carried.
        public var oob_code: String?
        /// OOB: `prompt` (the person types the code from the SMS as `binding_code`).
        public var binding_method: String?
        /// The user's recovery code, on a first enrolment when the recovery-code factor is on.
        public var recovery_codes: [String]?
    }

    /// `POST /mfa/associate` with an `mfa_token` (Auth0 docs: "Add an authenticator"): starts the
    /// enrolment of an authenticator app (`otp`) or a phone (`oob` with `oob_channels: ["sms"]`
    /// and `phone_number`; the code goes out through the `send-phone-message` trigger). Auth0
    /// allows this with an `mfa_token` only while the user has no active authenticator; here,
    /// only while the login waits for an enrolment (the user has no authenticator of an enabled
    /// factor, or an action called `api.authentication.enrollWith…`). The enrolment is confirmed
    /// by the `mfa-otp` / `mfa-oob` grant, which also completes the login.
    ///
    /// The recovery code is shown here, as Auth0 does, but only its digest is kept, with the
    /// login; it becomes the user's recovery code when the enrolment is confirmed, so an
    /// association never confirmed leaves no working recovery code. Associating again replaces
    /// the pending authenticator and shows a new recovery code.
    public func associate(
        mfaToken: String, _ request: AssociateRequest, eventRequest: ActionEventRequest, configurationVersion: Int64
    ) async throws -> Association {
        var pending = try await pending(mfaToken: mfaToken, client: nil)
        guard pending.requirement.mode == .enroll, pending.requirement.provedFactor == nil else {
            throw oauthError(MultifactorError(.alreadyEnrolled, ""))
        }
        let types = Set(request.authenticatorTypes)
        guard types.count == 1, let type = types.first else {
            throw OAuthError(
                .invalidRequest,
                types.isEmpty
                    ? "Missing required parameter: authenticator_types (an array: [\"otp\"], or [\"oob\"] with oob_channels [\"sms\"])."
                    : "Associate one authenticator type at a time: [\"otp\"] or [\"oob\"].")
        }
        let factors = pending.requirement.factorList
        let user = pending.user
        return try await answering {
            var association: Association
            switch type {
            case "otp":
                guard factors.contains(.otp) else { throw Self.notOffered("otp", factors) }
                let start = try await multifactor.startTOTPEnrollment(
                    userID: user.user_id, accountName: user.email ?? user.username ?? user.user_id)
                pending.requirement.enrollmentID = start.enrollmentID
                pending.requirement.oobCodeHash = nil
                association = Association(authenticator_type: "otp", secret: start.secret, barcode_uri: start.uri)
            case "oob":
                let channels = Set(request.oobChannels)
                guard channels == ["sms"] else {
                    throw OAuthError(
                        .invalidRequest,
                        channels.isEmpty
                            ? "Missing required parameter: oob_channels (this server offers [\"sms\"])."
                            : "This server offers the sms channel only: send oob_channels [\"sms\"].")
                }
                guard factors.contains(.phone) else { throw Self.notOffered("sms", factors) }
                guard let phoneNumber = request.phoneNumber, !phoneNumber.isEmpty else {
                    throw OAuthError(.invalidRequest, "Missing required parameter: phone_number")
                }
                let origin = SendPhoneMessage.Origin(
                    client: pending.client, request: eventRequest, configurationVersion: configurationVersion)
                let enrollment = try await multifactor.startPhoneEnrollment(
                    userID: user.user_id, phoneNumber: phoneNumber, origin: origin)
                let oobCode = RandomIdentifier.token(byteCount: 32)
                pending.requirement.enrollmentID = enrollment.id
                pending.requirement.oobCodeHash = SecretComparison.digest(oobCode)
                association = Association(
                    authenticator_type: "oob", oob_channel: "sms", oob_code: oobCode, binding_method: "prompt")
            default:
                throw OAuthError(
                    .invalidRequest, "Unsupported authenticator type '\(type)': this server enrols \"otp\" and \"oob\" (sms).")
            }
            if let recovery = try await multifactor.recoveryCodeForNewEnrollment(userID: user.user_id) {
                pending.requirement.recoveryCodeHash = recovery.digest
                association.recovery_codes = [recovery.code]
            } else {
                pending.requirement.recoveryCodeHash = nil
            }
            try await completion.save(pending)
            return association
        }
    }

    /// A factor this login cannot use (not enabled, or not what the action asked for).
    static func notOffered(_ name: String, _ factors: [MultifactorFactor]) -> OAuthError {
        OAuthError(
            .invalidRequest,
            "The \(name) factor cannot be used in this login; it accepts: "
                + factors.map(\.guardianName).joined(separator: ", ") + ".")
    }
}
