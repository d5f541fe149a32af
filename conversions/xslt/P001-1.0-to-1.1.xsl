<?xml version="1.0" encoding="UTF-8"?>
<!--
  P001-1.0-to-1.1.xsl: migrates a P001 pension claim from SED version 1.0 to 1.1 (a sample migration).

  Changes in 1.1 (invented for the sample):
    - Envelope/SedVersion becomes 1.1;
    - pe:Person/pe:BirthDate was written ddMMyyyy and is now an ISO date (dt:convert);
    - pe:Nationality moves into pe:Person, after pe:BirthDate, and gains the ISO alpha-3 code as @a3;
    - pe:Address is renamed pe:ResidenceAddress.
  Everything else is copied unchanged. A document that is not a P001 1.0 is refused (xsl:message terminate).
  Parameter: migratedBy (optional), written as a comment for the audit trail.
-->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:sed="urn:eessi:sedgate:sed:1"
    xmlns:pe="urn:eessi:sedgate:sed:pe:1"
    xmlns:dt="urn:eessi:sedgate:fn:dt"
    xmlns:code="urn:eessi:sedgate:fn:code"
    exclude-result-prefixes="sed dt code">

  <xsl:output method="xml" encoding="UTF-8" indent="no"/>

  <xsl:param name="migratedBy" select="''"/>

  <!-- Identity: copy whatever no other template changes. -->
  <xsl:template match="@*|node()">
    <xsl:copy>
      <xsl:apply-templates select="@*|node()"/>
    </xsl:copy>
  </xsl:template>

  <xsl:template match="/sed:SED">
    <xsl:if test="not(sed:Envelope/sed:SedType = 'P001' and sed:Envelope/sed:SedVersion = '1.0')">
      <xsl:message terminate="yes">P001-1.0-to-1.1.xsl migrates P001 version 1.0 only; this document is <xsl:value-of select="sed:Envelope/sed:SedType"/> version <xsl:value-of select="sed:Envelope/sed:SedVersion"/></xsl:message>
    </xsl:if>
    <xsl:copy>
      <xsl:apply-templates select="@*|node()"/>
    </xsl:copy>
  </xsl:template>

  <xsl:template match="sed:Envelope/sed:SedVersion">
    <xsl:copy>1.1</xsl:copy>
    <xsl:if test="$migratedBy != ''">
      <xsl:comment> migrated from 1.0 by <xsl:value-of select="$migratedBy"/> </xsl:comment>
    </xsl:if>
  </xsl:template>

  <xsl:template match="pe:Person/pe:BirthDate">
    <xsl:copy>
      <xsl:value-of select="dt:convert(., 'ddMMyyyy', 'yyyy-MM-dd')"/>
    </xsl:copy>
    <xsl:for-each select="../../pe:Nationality">
      <xsl:text>&#10;        </xsl:text>
      <pe:Nationality a3="{code:iso3166-a2-a3(.)}">
        <xsl:value-of select="."/>
      </pe:Nationality>
    </xsl:for-each>
  </xsl:template>

  <!-- Moved into pe:Person above; drop the old element and the line break before it. -->
  <xsl:template match="pe:PensionClaim/pe:Nationality"/>
  <xsl:template match="text()[following-sibling::*[1][self::pe:Nationality]][parent::pe:PensionClaim]"/>

  <xsl:template match="pe:Address">
    <pe:ResidenceAddress>
      <xsl:apply-templates select="@*|node()"/>
    </pe:ResidenceAddress>
  </xsl:template>
</xsl:stylesheet>
