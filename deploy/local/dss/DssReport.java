/*
 * EU DSS (the reference AdES validator) for Signum's test suite and benchmark: validates PDFs offline
 * against the given trusted roots and prints DSS's simple report as JSON, one object per file.
 *
 *   java -cp 'libs/*:classes' DssReport [--trust roots.pem]... [--intermediate ca.pem]...
 *        [--at 2026-12-04T10:00:00Z] [--repeat N] FILE... [--clear] [--trust other.pem] FILE...
 *
 * Options apply to the files after them: `--trust` adds trusted roots, `--intermediate` certificates
 * DSS may use to build a chain without trusting them (what an operator configures, e.g. SAT's
 * intermediates), `--clear` forgets both. `--repeat N` validates the whole list N times in this one
 * JVM (each file read into memory first) and reports each file's times in "seconds": the benchmark
 * measures a warm JVM from them.
 *
 * Offline: no CRL, OCSP or AIA source is set, so DSS judges only what the PDF carries (its DSS
 * dictionary and the CMS), as a verifier years later would. Uses DSS's default validation policy.
 */
import eu.europa.esig.dss.enumerations.Indication;
import eu.europa.esig.dss.enumerations.SignatureLevel;
import eu.europa.esig.dss.enumerations.SubIndication;
import eu.europa.esig.dss.jaxb.object.Message;
import eu.europa.esig.dss.model.DSSDocument;
import eu.europa.esig.dss.model.InMemoryDocument;
import eu.europa.esig.dss.model.x509.CertificateToken;
import eu.europa.esig.dss.simplereport.SimpleReport;
import eu.europa.esig.dss.simplereport.jaxb.XmlTimestamp;
import eu.europa.esig.dss.spi.validation.CommonCertificateVerifier;
import eu.europa.esig.dss.spi.x509.CommonCertificateSource;
import eu.europa.esig.dss.spi.x509.CommonTrustedCertificateSource;
import eu.europa.esig.dss.validation.SignedDocumentValidator;
import eu.europa.esig.dss.validation.reports.Reports;

import java.io.FileInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.List;

public final class DssReport {

    private record Job(String file, byte[] pdf, CommonTrustedCertificateSource trusted,
                       CommonCertificateSource intermediates, List<Double> seconds) {}

    public static void main(String[] args) throws Exception {
        CommonTrustedCertificateSource trusted = new CommonTrustedCertificateSource();
        CommonCertificateSource intermediates = new CommonCertificateSource();
        Date at = null;
        int repeat = 1;
        List<Job> jobs = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--trust" -> {
                    for (CertificateToken token : certificates(args[++i])) {
                        trusted.addCertificate(token);
                    }
                }
                case "--intermediate" -> {
                    for (CertificateToken token : certificates(args[++i])) {
                        intermediates.addCertificate(token);
                    }
                }
                case "--clear" -> {
                    trusted = new CommonTrustedCertificateSource();
                    intermediates = new CommonCertificateSource();
                }
                case "--at" -> at = Date.from(Instant.parse(args[++i]));
                case "--repeat" -> repeat = Integer.parseInt(args[++i]);
                default -> jobs.add(new Job(args[i], Files.readAllBytes(Path.of(args[i])), trusted,
                    intermediates, new ArrayList<>()));
            }
        }
        String[] reports = new String[jobs.size()];
        for (int round = 0; round < repeat; round++) {
            for (int f = 0; f < jobs.size(); f++) {
                Job job = jobs.get(f);
                long started = System.nanoTime();
                SimpleReport simple = validate(job, at).getSimpleReport();
                job.seconds().add((System.nanoTime() - started) / 1e9);
                reports[f] = report(simple);
            }
        }
        StringBuilder out = new StringBuilder("{");
        for (int f = 0; f < jobs.size(); f++) {
            Job job = jobs.get(f);
            String body = reports[f];
            out.append(f > 0 ? "," : "").append(str(job.file())).append(':')
                .append(body, 0, body.length() - 1)
                .append(",\"seconds\":").append(job.seconds()).append('}');
        }
        System.out.println(out.append('}'));
    }

    private static Reports validate(Job job, Date at) {
        CommonCertificateVerifier verifier = new CommonCertificateVerifier();
        verifier.setTrustedCertSources(job.trusted());
        verifier.setAdjunctCertSources(job.intermediates());
        verifier.setCrlSource(null);
        verifier.setOcspSource(null);
        verifier.setAIASource(null);
        DSSDocument document = new InMemoryDocument(job.pdf(), job.file());
        SignedDocumentValidator validator = SignedDocumentValidator.fromDocument(document);
        validator.setCertificateVerifier(verifier);
        if (at != null) {
            validator.setValidationTime(at);
        }
        return validator.validateDocument();
    }

    private static List<CertificateToken> certificates(String path) throws Exception {
        CertificateFactory factory = CertificateFactory.getInstance("X.509");
        List<CertificateToken> tokens = new ArrayList<>();
        try (InputStream in = new FileInputStream(path)) {
            Collection<? extends java.security.cert.Certificate> certs = factory.generateCertificates(in);
            for (java.security.cert.Certificate c : certs) {
                tokens.add(new CertificateToken((X509Certificate) c));
            }
        }
        return tokens;
    }

    private static String report(SimpleReport simple) {
        StringBuilder out = new StringBuilder("{\"signatures\":[");
        List<String> ids = simple.getSignatureIdList();
        for (int i = 0; i < ids.size(); i++) {
            String id = ids.get(i);
            SignatureLevel format = simple.getSignatureFormat(id);
            out.append(i > 0 ? "," : "").append('{')
                .append("\"id\":").append(str(id))
                .append(",\"signed_by\":").append(str(simple.getSignedBy(id)))
                .append(",\"format\":").append(str(format == null ? null : format.toString()))
                .append(',').append(verdict(simple, id))
                .append(",\"best_signature_time\":").append(str(date(simple.getBestSignatureTime(id))))
                .append(",\"timestamps\":[");
            List<XmlTimestamp> timestamps = simple.getSignatureTimestamps(id);
            for (int t = 0; t < timestamps.size(); t++) {
                XmlTimestamp ts = timestamps.get(t);
                out.append(t > 0 ? "," : "").append('{')
                    .append("\"id\":").append(str(ts.getId()))
                    .append(",\"produced_by\":").append(str(ts.getProducedBy()))
                    .append(",\"production_time\":").append(str(date(ts.getProductionTime())))
                    .append(',').append(verdict(simple, ts.getId()))
                    .append('}');
            }
            out.append("]}");
        }
        out.append("],\"timestamps\":[");
        List<String> tsIds = simple.getTimestampIdList();
        for (int t = 0; t < tsIds.size(); t++) {
            String id = tsIds.get(t);
            out.append(t > 0 ? "," : "").append('{')
                .append("\"id\":").append(str(id))
                .append(",\"produced_by\":").append(str(simple.getProducedBy(id)))
                .append(",\"production_time\":").append(str(date(simple.getProductionTime(id))))
                .append(',').append(verdict(simple, id))
                .append('}');
        }
        return out.append("]}").toString();
    }

    private static String verdict(SimpleReport simple, String id) {
        Indication indication = simple.getIndication(id);
        SubIndication sub = simple.getSubIndication(id);
        return "\"indication\":" + str(indication == null ? null : indication.toString())
            + ",\"subindication\":" + str(sub == null ? null : sub.toString())
            + ",\"errors\":" + messages(simple.getAdESValidationErrors(id))
            + ",\"warnings\":" + messages(simple.getAdESValidationWarnings(id));
    }

    private static String messages(List<Message> messages) {
        StringBuilder out = new StringBuilder("[");
        for (int i = 0; i < messages.size(); i++) {
            Message m = messages.get(i);
            out.append(i > 0 ? "," : "").append("{\"key\":").append(str(m.getKey()))
                .append(",\"value\":").append(str(m.getValue())).append('}');
        }
        return out.append(']').toString();
    }

    private static String date(Date date) {
        return date == null ? null : date.toInstant().toString();
    }

    private static String str(String value) {
        if (value == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder("\"");
        for (char c : value.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }
}
