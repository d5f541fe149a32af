// shim.h: the libxslt and libexslt headers sedgate uses, plus inline helpers for what Swift cannot call directly
// (function-like macros such as xmlXPathReturnString, valuePush/valuePop, and variadic error callbacks).

// Debian builds libxml2 with ICU; its headers clash with Foundation's private ICU, and sedgate uses none of it.
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <libxslt/xslt.h>
#include <libxslt/xsltInternals.h>
#include <libxslt/transform.h>
#include <libxslt/xsltutils.h>
#include <libxslt/extensions.h>
#include <libxslt/security.h>
#include <libxslt/documents.h>
#include <libxslt/variables.h>
#include <libexslt/exslt.h>

/// Pops the top argument of an XPath extension function call (a macro since libxml2 2.14).
static inline xmlXPathObjectPtr sedgate_xpath_pop(xmlXPathParserContextPtr ctxt) { return valuePop(ctxt); }

/// Returns a string from an XPath extension function (xmlXPathReturnString is a macro).
static inline void sedgate_xpath_return_string(xmlXPathParserContextPtr ctxt, const char *text) {
    valuePush(ctxt, xmlXPathNewString((const xmlChar *)text));
}

/// Returns a boolean from an XPath extension function.
static inline void sedgate_xpath_return_boolean(xmlXPathParserContextPtr ctxt, int value) {
    valuePush(ctxt, xmlXPathNewBoolean(value));
}

/// Marks the XPath evaluation as failed (xmlXPathSetError is a macro).
static inline void sedgate_xpath_set_error(xmlXPathParserContextPtr ctxt, int code) { xmlXPathSetError(ctxt, code); }

/// Where libxslt's formatted messages go: a non-variadic callback Swift can implement, and its user data.
typedef void (*sedgate_text_sink)(void *user, const char *text);
typedef struct {
    sedgate_text_sink sink;
    void *user;
} sedgate_error_target;

/// A libxslt error handler (variadic, so written in C) that formats the message and hands it to the target.
static inline void sedgate_xslt_error_handler(void *context, const char *format, ...) {
    sedgate_error_target *target = (sedgate_error_target *)context;
    char buffer[2048];
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(buffer, sizeof buffer, format, arguments);
    va_end(arguments);
    if (target != NULL && target->sink != NULL) target->sink(target->user, buffer);
}

/// Routes one transformation's errors to `target`.
static inline void sedgate_xslt_set_transform_errors(xsltTransformContextPtr ctxt, sedgate_error_target *target) {
    xsltSetTransformErrorFunc(ctxt, target, sedgate_xslt_error_handler);
}

/// Routes libxslt's global (compile-time) errors to `target`; NULL target drops them.
static inline void sedgate_xslt_set_generic_errors(sedgate_error_target *target) {
    xsltSetGenericErrorFunc(target, sedgate_xslt_error_handler);
}

/// Parse options for every document libxslt loads: no network, no entity substitution, no external DTD, quiet.
static inline int sedgate_xslt_safe_parse_options(void) {
    return XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_BIG_LINES;
}

/// The document loader for xsl:import, xsl:include and document(): local files only, parsed with the safe
/// options above, and a document with a DOCTYPE is refused (it could declare entities). Shares libxslt's
/// dictionary as the default loader does, so libxslt can free the strings it interns.
static inline xmlDocPtr sedgate_xslt_safe_loader(const xmlChar *uri, xmlDictPtr dict, int options, void *context,
                                                 xsltLoadType type) {
    (void)options;
    (void)context;
    (void)type;
    if (uri == NULL) return NULL;
    const char *text = (const char *)uri;
    if (strstr(text, "://") != NULL && strncmp(text, "file://", 7) != 0) return NULL;
    xmlParserCtxtPtr parser = xmlNewParserCtxt();
    if (parser == NULL) return NULL;
    if (dict != NULL) {
        if (parser->dict != NULL) xmlDictFree(parser->dict);
        parser->dict = dict;
        xmlDictReference(dict);
    }
    xmlDocPtr document = xmlCtxtReadFile(parser, text, NULL, sedgate_xslt_safe_parse_options());
    if (document != NULL && (document->intSubset != NULL || document->extSubset != NULL)) {
        xmlFreeDoc(document);
        document = NULL;
    }
    xmlFreeParserCtxt(parser);
    return document;
}
