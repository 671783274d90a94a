import ChannelKit
import Crypto

/// `appsecret_proof`: the HMAC-SHA256 of the access token keyed with the app secret, as
/// lowercase hex, sent as a query parameter on every Graph call of an app whose dashboard
/// requires it ("Require App Secret" under App settings › Advanced).
///
/// Source: Meta, "Secure Graph API calls":
/// https://developers.facebook.com/docs/graph-api/securing-requests/
///
/// ```swift
/// AppSecretProof.make(accessToken: token, appSecret: secret)   // "a3f1…" (64 hex digits)
/// ```
public enum AppSecretProof {
    /// The query parameter's name.
    public static let parameterName = "appsecret_proof"

    /// The proof for `accessToken` under `appSecret`.
    public static func make(accessToken: String, appSecret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array(accessToken.utf8), using: SymmetricKey(data: Array(appSecret.utf8)))
        return Hex.encode(Array(mac))
    }
}
