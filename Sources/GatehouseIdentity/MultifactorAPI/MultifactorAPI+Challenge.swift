import GatehouseCore
import GatehouseStorage

extension MultifactorAPI {
    /// `/mfa/challenge`'s answer.
    public struct Challenge: Codable, Sendable, Equatable {
        /// `otp` (no message: the code is in the user's app) or `oob` (a code was sent).
        public var challenge_type: String
        public var oob_code: String?
        public var binding_method: String?
    }

    /// `POST /mfa/challenge` (Auth0 docs: "Challenge request"): which factor the client will
    /// send a code of, for a user who has one. `challengeTypes` is the whitespace-separated
    /// `challenge_type` (`otp`, `oob`; all when absent); `authenticatorID` (`totp|dev_…`,
    /// `sms|dev_…`, or a bare `dev_…`) picks an authenticator, otherwise the login's first
    /// factor of those types is used, OTP before SMS. For SMS a code is sent through the
    /// `send-phone-message` trigger (bounded per user) and an `oob_code` bound to this login is
    /// returned for the `mfa-oob` grant. `client` is the authenticated client: the token must be
    /// its own.
    ///
    /// A user with nothing to challenge (the login waits for an enrolment) gets
    /// `unsupported_challenge_type` "User is not enrolled.", which Auth0's SDKs read as
    /// "associate first"; recovery codes are not challenged, they go straight to the
    /// `mfa-recovery-code` grant.
    public func challenge(
        mfaToken: String, client: ClientRecord, challengeTypes: String?, authenticatorID: String?,
        eventRequest: ActionEventRequest, configurationVersion: Int64
    ) async throws -> Challenge {
        var pending = try await pending(mfaToken: mfaToken, client: client)
        let requirement = pending.requirement
        guard requirement.mode == .challenge else {
            throw OAuthError(.unsupportedChallengeType, "User is not enrolled.")
        }
        let requested = challengeTypes.map { $0.split(whereSeparator: \.isWhitespace).map(String.init) } ?? ["otp", "oob"]
        if let unknown = requested.first(where: { $0 != "otp" && $0 != "oob" }) {
            throw OAuthError(
                .unsupportedChallengeType, "Unsupported challenge type '\(unknown)': the challenge types are otp and oob.")
        }
        let factor: MultifactorFactor
        if let authenticatorID, !authenticatorID.isEmpty {
            factor = try chosen(authenticatorID, pending: pending, requested: requested)
        } else {
            let offered = requirement.factorList.filter {
                ($0 == .otp && requested.contains("otp")) || ($0 == .phone && requested.contains("oob"))
            }
            guard let first = offered.first else {
                throw OAuthError(
                    .unsupportedChallengeType,
                    "The user does not support any of the requested challenge types (\(requested.joined(separator: ", ")));"
                        + " this login accepts: \(requirement.factorList.map(\.guardianName).joined(separator: ", ")).")
            }
            factor = first
        }
        guard factor == .phone else { return Challenge(challenge_type: "otp") }
        return try await answering {
            try await multifactor.sendPhoneChallenge(
                userID: pending.user.user_id,
                origin: SendPhoneMessage.Origin(client: client, request: eventRequest, configurationVersion: configurationVersion))
            let oobCode = RandomIdentifier.token(byteCount: 32)
            pending.requirement.oobCodeHash = SecretComparison.digest(oobCode)
            try await completion.save(pending)
            return Challenge(challenge_type: "oob", oob_code: oobCode, binding_method: "prompt")
        }
    }

    /// The factor of the active authenticator `id` names, if this login accepts it and the
    /// client asked for its challenge type.
    private func chosen(_ id: String, pending: PendingMultifactor, requested: [String]) throws -> MultifactorFactor {
        guard let (kind, deviceID) = MultifactorService.parse(methodID: id),
            let enrollment = pending.enrollments.first(where: {
                $0.id == deviceID && (kind == nil || $0.kind == kind) && $0.status == .confirmed
            })
        else {
            throw OAuthError(
                .invalidRequest, "The user has no active authenticator '\(id)'; list them with GET /mfa/authenticators.")
        }
        let factor: MultifactorFactor
        switch enrollment.kind {
        case .totp: factor = .otp
        case .phone: factor = .phone
        case .recoveryCode:
            throw OAuthError(
                .unsupportedChallengeType,
                "A recovery code is not challenged: send it with the \(Self.recoveryCodeGrantType) grant.")
        }
        let type = factor == .otp ? "otp" : "oob"
        guard requested.contains(type), pending.requirement.factorList.contains(factor) else {
            throw OAuthError(
                .unsupportedChallengeType,
                "The authenticator '\(id)' answers the \(type) challenge type, which "
                    + (requested.contains(type) ? "this login does not accept." : "challenge_type does not include."))
        }
        return factor
    }
}
