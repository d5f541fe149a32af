// shim.h: the libxmlsec1 (OpenSSL backend) headers sedgate uses for XML Signature and XML Encryption.
// SwiftPM takes only the -I flags from pkg-config, so the -D flags `pkg-config --cflags xmlsec1-openssl` prints
// (Debian 12, xmlsec1 1.2.37) are repeated here: they change type sizes (xmlSecSize is unsigned int with
// XMLSEC_NO_SIZE_T) and must match the library's build.
#ifndef XMLSEC_CRYPTO_OPENSSL
#define XMLSEC_CRYPTO_OPENSSL 1
#endif
#ifndef XMLSEC_NO_SIZE_T
#define XMLSEC_NO_SIZE_T 1
#endif
#ifndef XMLSEC_NO_GOST
#define XMLSEC_NO_GOST 1
#endif
#ifndef XMLSEC_NO_GOST2012
#define XMLSEC_NO_GOST2012 1
#endif
#ifndef XMLSEC_NO_CRYPTO_DYNAMIC_LOADING
#define XMLSEC_NO_CRYPTO_DYNAMIC_LOADING 1
#endif
#ifndef XMLSEC_OPENSSL3_ENGINES
#define XMLSEC_OPENSSL3_ENGINES 1
#endif

#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#include <libxml/tree.h>
#include <libxml/parser.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/xmltree.h>
#include <xmlsec/base64.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlenc.h>
#include <xmlsec/templates.h>
#include <xmlsec/keys.h>
#include <xmlsec/keysmngr.h>
#include <xmlsec/errors.h>
#include <xmlsec/crypto.h>
#include <xmlsec/openssl/app.h>
#include <xmlsec/openssl/crypto.h>
#include <xmlsec/openssl/evp.h>

// OpenSSL, for what xmlsec leaves to the application: reading certificates, their names, and checking that a
// certificate carried in a WS-Security token chains to the network's CA.
#include <stdio.h>
#include <string.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <pthread.h>

static EVP_MD *sedgate_sha256_fetched = NULL;
static void sedgate_sha256_fetch(void) { sedgate_sha256_fetched = EVP_MD_fetch(NULL, "SHA256", NULL); }

/// SHA-256 fetched from OpenSSL's default provider once per process (EVP_sha256() is fetched again by every
/// EVP_DigestInit_ex, a lookup that cost more than hashing a small reference); EVP_sha256() if the fetch failed.
static inline const EVP_MD *sedgate_sha256(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, sedgate_sha256_fetch);
    return sedgate_sha256_fetched != NULL ? sedgate_sha256_fetched : EVP_sha256();
}

/// A PEM password callback that gives no password, so an encrypted key fails instead of prompting on a terminal.
static inline int sedgate_no_password(char *buffer, int size, int rwflag, void *user) {
    (void)buffer; (void)size; (void)rwflag; (void)user;
    return 0;
}

/// sedgate_no_password as the untyped pointer xmlSecOpenSSLAppKeyLoadMemory takes.
static inline void *sedgate_no_password_callback(void) {
    return (void *)sedgate_no_password;
}

/// Frees memory OpenSSL allocated (OPENSSL_free is a macro).
static inline void sedgate_openssl_free(void *pointer) {
    OPENSSL_free(pointer);
}

/// The first certificate in PEM text, or NULL. Free with X509_free.
static inline X509 *sedgate_x509_read_pem(const unsigned char *pem, int length) {
    BIO *bio = BIO_new_mem_buf(pem, length);
    if (bio == NULL) return NULL;
    X509 *certificate = PEM_read_bio_X509(bio, NULL, sedgate_no_password, NULL);
    BIO_free(bio);
    ERR_clear_error();
    return certificate;
}

/// The certificate in DER bytes (all of them, nothing after it), or NULL. Free with X509_free.
static inline X509 *sedgate_x509_read_der(const unsigned char *der, long length) {
    const unsigned char *cursor = der;
    X509 *certificate = d2i_X509(NULL, &cursor, length);
    if (certificate != NULL && cursor != der + length) {
        X509_free(certificate);
        certificate = NULL;
    }
    ERR_clear_error();
    return certificate;
}

/// The DER encoding of a certificate in a buffer OpenSSL allocates (free with sedgate_openssl_free); its length,
/// or a negative number on failure.
static inline int sedgate_x509_der(X509 *certificate, unsigned char **der) {
    *der = NULL;
    return i2d_X509(certificate, der);
}

/// The subject's common name as UTF-8 in a buffer OpenSSL allocates (free with sedgate_openssl_free); its length,
/// or a negative number when the subject has no CN.
static inline int sedgate_x509_common_name(X509 *certificate, unsigned char **utf8) {
    *utf8 = NULL;
    X509_NAME *name = X509_get_subject_name(certificate);
    int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
    if (index < 0) return -1;
    X509_NAME_ENTRY *entry = X509_NAME_get_entry(name, index);
    if (entry == NULL) return -1;
    return ASN1_STRING_to_UTF8(utf8, X509_NAME_ENTRY_get_data(entry));
}

/// The issuer's distinguished name in OpenSSL's one-line form, written into `buffer`.
static inline void sedgate_x509_issuer(X509 *certificate, char *buffer, int size) {
    X509_NAME_oneline(X509_get_issuer_name(certificate), buffer, size);
}

/// Whether the PEM private key `pem` belongs to `certificate`: 1 yes, 0 no, -1 the key cannot be read (not PEM,
/// or encrypted: sedgate reads unencrypted PKCS#8 or traditional PEM keys only).
static inline int sedgate_private_key_matches(const unsigned char *pem, int length, X509 *certificate) {
    BIO *bio = BIO_new_mem_buf(pem, length);
    if (bio == NULL) return -1;
    EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, sedgate_no_password, NULL);
    BIO_free(bio);
    if (key == NULL) {
        ERR_clear_error();
        return -1;
    }
    int matches = X509_check_private_key(certificate, key);
    EVP_PKEY_free(key);
    ERR_clear_error();
    return matches == 1 ? 1 : 0;
}

/// The number of certificates in PEM text.
static inline int sedgate_x509_count_pem(const unsigned char *pem, int length) {
    BIO *bio = BIO_new_mem_buf(pem, length);
    if (bio == NULL) return 0;
    int count = 0;
    X509 *certificate;
    while ((certificate = PEM_read_bio_X509(bio, NULL, sedgate_no_password, NULL)) != NULL) {
        X509_free(certificate);
        count++;
    }
    BIO_free(bio);
    ERR_clear_error();
    return count;
}

/// A store of the CA certificates in the PEM text `trusted`, made once per trust store; NULL on failure.
static inline X509_STORE *sedgate_x509_store(const unsigned char *trusted, int length) {
    X509_STORE *store = X509_STORE_new();
    BIO *bio = BIO_new_mem_buf(trusted, length);
    if (store == NULL || bio == NULL) {
        if (store != NULL) X509_STORE_free(store);
        if (bio != NULL) BIO_free(bio);
        return NULL;
    }
    X509 *authority;
    while ((authority = PEM_read_bio_X509(bio, NULL, sedgate_no_password, NULL)) != NULL) {
        X509_STORE_add_cert(store, authority);
        X509_free(authority);
    }
    BIO_free(bio);
    ERR_clear_error();
    return store;
}

/// Checks that `certificate` chains to `store` and is valid now: 1 yes; 0 no, with OpenSSL's reason in `reason`;
/// -1 on failure to set up. The store is only read, so one store serves every thread.
static inline int sedgate_x509_verify_in(X509 *certificate, X509_STORE *store, char *reason, int reasonSize) {
    X509_STORE_CTX *context = X509_STORE_CTX_new();
    if (context == NULL || X509_STORE_CTX_init(context, store, certificate, NULL) != 1) {
        if (context != NULL) X509_STORE_CTX_free(context);
        return -1;
    }
    int verified = X509_verify_cert(context);
    if (verified != 1) {
        snprintf(reason, (size_t)reasonSize, "%s", X509_verify_cert_error_string(X509_STORE_CTX_get_error(context)));
    }
    X509_STORE_CTX_free(context);
    ERR_clear_error();
    return verified == 1 ? 1 : 0;
}


// Detached signatures of the directory's replication messages (RSA or EC keys, SHA-256), and certificate validity.
#include <time.h>

/// Signs `data` with the private key in `keyPem` (SHA-256). `signature` holds `*size` bytes; on return `*size` is
/// the signature's length. Returns 1 on success, 0 on failure.
static inline int sedgate_sign_sha256(
    const unsigned char *keyPem, int keyLength, const unsigned char *data, size_t dataLength,
    unsigned char *signature, size_t *size) {
    BIO *bio = BIO_new_mem_buf(keyPem, keyLength);
    if (bio == NULL) return 0;
    EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, sedgate_no_password, NULL);
    BIO_free(bio);
    if (key == NULL) { ERR_clear_error(); return 0; }
    EVP_MD_CTX *context = EVP_MD_CTX_new();
    int ok = context != NULL && EVP_DigestSignInit(context, NULL, sedgate_sha256(), NULL, key) == 1
        && EVP_DigestSign(context, signature, size, data, dataLength) == 1;
    EVP_MD_CTX_free(context);
    EVP_PKEY_free(key);
    ERR_clear_error();
    return ok ? 1 : 0;
}

/// Checks a SHA-256 signature of `data` against the certificate's public key. Returns 1 when it holds.
static inline int sedgate_verify_sha256(
    X509 *certificate, const unsigned char *data, size_t dataLength, const unsigned char *signature, size_t size) {
    EVP_PKEY *key = X509_get_pubkey(certificate);
    if (key == NULL) { ERR_clear_error(); return 0; }
    EVP_MD_CTX *context = EVP_MD_CTX_new();
    int ok = context != NULL && EVP_DigestVerifyInit(context, NULL, sedgate_sha256(), NULL, key) == 1
        && EVP_DigestVerify(context, signature, size, data, dataLength) == 1;
    EVP_MD_CTX_free(context);
    EVP_PKEY_free(key);
    ERR_clear_error();
    return ok ? 1 : 0;
}

/// The certificate's validity in seconds since 1970 (UTC). Returns 1 on success.
static inline int sedgate_x509_validity(X509 *certificate, long long *notBefore, long long *notAfter) {
    struct tm before, after;
    if (ASN1_TIME_to_tm(X509_get0_notBefore(certificate), &before) != 1) return 0;
    if (ASN1_TIME_to_tm(X509_get0_notAfter(certificate), &after) != 1) return 0;
    *notBefore = (long long)timegm(&before);
    *notAfter = (long long)timegm(&after);
    return 1;
}

// Keys that hold only the key value, with no certificate data: xmlsec copies a key for each operation, and copying
// certificate data re-encodes every certificate (ASN.1 duplication), which cost more than the RSA operation itself.
// Copying a bare key only takes a reference on the OpenSSL key. sedgate writes the certificates into KeyInfo itself.

/// An xmlsec key taking `value` (an OpenSSL key the caller gives up), or NULL (and `value` freed).
static inline xmlSecKeyPtr sedgate_xmlsec_bare_key(EVP_PKEY *value) {
    if (value == NULL) return NULL;
    xmlSecKeyDataPtr data = xmlSecOpenSSLEvpKeyAdopt(value);
    if (data == NULL) { EVP_PKEY_free(value); ERR_clear_error(); return NULL; }
    xmlSecKeyPtr key = xmlSecKeyCreate();
    if (key == NULL || xmlSecKeySetValue(key, data) < 0) {
        if (key != NULL) xmlSecKeyDestroy(key);
        xmlSecKeyDataDestroy(data);
        ERR_clear_error();
        return NULL;
    }
    return key;
}

/// An xmlsec key holding the unencrypted PEM private key `pem` alone, or NULL.
static inline xmlSecKeyPtr sedgate_xmlsec_private_key(const unsigned char *pem, int length) {
    BIO *bio = BIO_new_mem_buf(pem, length);
    if (bio == NULL) return NULL;
    EVP_PKEY *value = PEM_read_bio_PrivateKey(bio, NULL, sedgate_no_password, NULL);
    BIO_free(bio);
    if (value == NULL) { ERR_clear_error(); return NULL; }
    return sedgate_xmlsec_bare_key(value);
}


// Signing, key transport and signature checks straight through OpenSSL's EVP interface, for what sedgate writes
// itself (no xmlsec context, no key copy per operation). An EVP_PKEY is only read here, so one key serves every
// thread at once.
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>

/// 1 when `key` is an EC key, 0 otherwise (RSA).
static inline int sedgate_evp_is_ec(EVP_PKEY *key) {
    return EVP_PKEY_get_base_id(key) == EVP_PKEY_EC ? 1 : 0;
}

/// Signs `data` with `key` over SHA-256: RSA PKCS#1 v1.5, or for an EC key ECDSA with the signature as XML
/// Signature writes it (r and s, each left-padded to the curve's size, concatenated). `*size` is the room in
/// `signature` on entry and the signature's length on return. Returns 1 on success.
static inline int sedgate_evp_sign_sha256(
    EVP_PKEY *key, const unsigned char *data, size_t length, unsigned char *signature, size_t *size) {
    EVP_MD_CTX *context = EVP_MD_CTX_new();
    unsigned char der[256];
    size_t derSize = sizeof(der);
    int ec = sedgate_evp_is_ec(key);
    int ok = context != NULL && EVP_DigestSignInit(context, NULL, sedgate_sha256(), NULL, key) == 1;
    if (ok && !ec) {
        ok = EVP_DigestSign(context, signature, size, data, length) == 1;
    } else if (ok) {
        ok = EVP_DigestSign(context, der, &derSize, data, length) == 1;
        const unsigned char *cursor = der;
        ECDSA_SIG *parts = ok ? d2i_ECDSA_SIG(NULL, &cursor, (long)derSize) : NULL;
        int half = (EVP_PKEY_get_bits(key) + 7) / 8;
        ok = parts != NULL && (size_t)(2 * half) <= *size
            && BN_bn2binpad(ECDSA_SIG_get0_r(parts), signature, half) == half
            && BN_bn2binpad(ECDSA_SIG_get0_s(parts), signature + half, half) == half;
        if (ok) *size = (size_t)(2 * half);
        ECDSA_SIG_free(parts);
    }
    EVP_MD_CTX_free(context);
    ERR_clear_error();
    return ok ? 1 : 0;
}

/// RSA-OAEP (SHA-1 digest, MGF1 with SHA-1, no label: XML Encryption's rsa-oaep-mgf1p) of `input` with `key`:
/// encryption for a public key when `decrypt` is 0, decryption with a private key otherwise. `*size` is the room in
/// `output` on entry, the result's length on return. Returns 1 on success.
static inline int sedgate_evp_oaep(
    EVP_PKEY *key, int decrypt, const unsigned char *input, size_t length, unsigned char *output, size_t *size) {
    EVP_PKEY_CTX *context = EVP_PKEY_CTX_new(key, NULL);
    int ok = context != NULL && (decrypt ? EVP_PKEY_decrypt_init(context) : EVP_PKEY_encrypt_init(context)) == 1
        && EVP_PKEY_CTX_set_rsa_padding(context, RSA_PKCS1_OAEP_PADDING) == 1
        && (decrypt ? EVP_PKEY_decrypt(context, output, size, input, length)
                    : EVP_PKEY_encrypt(context, output, size, input, length)) == 1;
    EVP_PKEY_CTX_free(context);
    ERR_clear_error();
    return ok ? 1 : 0;
}

// Reference digests and SignatureValue checks over libxml2's canonical form of a subtree, streamed into OpenSSL:
// the checks xmlsec made, without its node sets, transform chains and key copies.
#include <libxml/c14n.h>
#include <libxml/xmlIO.h>

/// libxml2's visibility callback: whether `node` (element, text, attribute, or a namespace node of `parent`) lies
/// in the subtree at `apex`.
static int sedgate_c14n_in_subtree(void *apex, xmlNodePtr node, xmlNodePtr parent) {
    xmlNodePtr cursor = (node == NULL || node->type == XML_NAMESPACE_DECL) ? parent : node;
    while (cursor != NULL) {
        if (cursor == (xmlNodePtr)apex) return 1;
        cursor = cursor->parent;
    }
    return 0;
}

static int sedgate_c14n_hash(void *context, const char *buffer, int length) {
    return EVP_DigestUpdate((EVP_MD_CTX *)context, buffer, (size_t)length) == 1 ? length : -1;
}

static int sedgate_c14n_verify(void *context, const char *buffer, int length) {
    return EVP_DigestVerifyUpdate((EVP_MD_CTX *)context, buffer, (size_t)length) == 1 ? length : -1;
}

/// Writes the canonical form of the subtree at `apex` (exclusive C14N when `exclusive`, C14N 1.0 otherwise; no
/// comments; `prefixes` the InclusiveNamespaces PrefixList, NULL-terminated, or NULL) to `write`, which gets
/// `context` with each piece. Returns 1 on success.
static inline int sedgate_c14n_stream(
    xmlDocPtr document, xmlNodePtr apex, int exclusive, xmlChar **prefixes, xmlOutputWriteCallback write,
    void *context) {
    xmlOutputBufferPtr output = xmlOutputBufferCreateIO(write, NULL, context, NULL);
    if (output == NULL) return 0;
    int ok = xmlC14NExecute(
        document, sedgate_c14n_in_subtree, apex, exclusive ? XML_C14N_EXCLUSIVE_1_0 : XML_C14N_1_0, prefixes, 0,
        output) >= 0;
    if (xmlOutputBufferClose(output) < 0) ok = 0;
    return ok ? 1 : 0;
}

/// The SHA-256 (32 bytes into `digest`) of the canonical form of the subtree at `apex` (see sedgate_c14n_stream).
static inline int sedgate_c14n_sha256(
    xmlDocPtr document, xmlNodePtr apex, int exclusive, xmlChar **prefixes, unsigned char *digest) {
    EVP_MD_CTX *hash = EVP_MD_CTX_new();
    unsigned int size = 0;
    int ok = hash != NULL && EVP_DigestInit_ex(hash, sedgate_sha256(), NULL) == 1
        && sedgate_c14n_stream(document, apex, exclusive, prefixes, sedgate_c14n_hash, hash) == 1
        && EVP_DigestFinal_ex(hash, digest, &size) == 1 && size == 32;
    EVP_MD_CTX_free(hash);
    ERR_clear_error();
    return ok ? 1 : 0;
}

static int sedgate_c14n_append(void *context, const char *buffer, int length) {
    return xmlBufferAdd((xmlBufferPtr)context, (const xmlChar *)buffer, length) == 0 ? length : -1;
}

/// Appends the canonical form of the subtree at `apex` (see sedgate_c14n_stream) to `into`. Returns 1 on success.
static inline int sedgate_c14n_buffer(
    xmlDocPtr document, xmlNodePtr apex, int exclusive, xmlChar **prefixes, xmlBufferPtr into) {
    return sedgate_c14n_stream(document, apex, exclusive, prefixes, sedgate_c14n_append, into);
}

/// Checks `signature` (RSA PKCS#1 v1.5, or ECDSA as r and s concatenated) over SHA-256 of the exclusive canonical
/// form of the subtree at `apex` with the public key `key`: 1 it holds, 0 it does not, -1 the subtree could not be
/// canonicalised.
static inline int sedgate_c14n_verify_sha256(
    xmlDocPtr document, xmlNodePtr apex, xmlChar **prefixes, EVP_PKEY *key, const unsigned char *signature,
    size_t size) {
    unsigned char der[160];
    const unsigned char *value = signature;
    size_t valueSize = size;
    if (sedgate_evp_is_ec(key)) {
        int half = (EVP_PKEY_get_bits(key) + 7) / 8;
        if (size != (size_t)(2 * half)) return 0;
        ECDSA_SIG *parts = ECDSA_SIG_new();
        BIGNUM *r = BN_bin2bn(signature, half, NULL);
        BIGNUM *s = BN_bin2bn(signature + half, half, NULL);
        if (parts == NULL || r == NULL || s == NULL || ECDSA_SIG_set0(parts, r, s) != 1) {
            BN_free(r);
            BN_free(s);
            ECDSA_SIG_free(parts);
            ERR_clear_error();
            return 0;
        }
        int length = i2d_ECDSA_SIG(parts, NULL);
        unsigned char *cursor = der;
        if (length <= 0 || length > (int)sizeof(der) || i2d_ECDSA_SIG(parts, &cursor) != length) {
            ECDSA_SIG_free(parts);
            ERR_clear_error();
            return 0;
        }
        ECDSA_SIG_free(parts);
        value = der;
        valueSize = (size_t)length;
    }
    EVP_MD_CTX *context = EVP_MD_CTX_new();
    int verdict = -1;
    if (context != NULL && EVP_DigestVerifyInit(context, NULL, sedgate_sha256(), NULL, key) == 1
        && sedgate_c14n_stream(document, apex, 1, prefixes, sedgate_c14n_verify, context) == 1) {
        verdict = EVP_DigestVerifyFinal(context, value, valueSize) == 1 ? 1 : 0;
    }
    EVP_MD_CTX_free(context);
    ERR_clear_error();
    return verdict;
}
