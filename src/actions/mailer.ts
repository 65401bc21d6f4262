import { createTransport } from 'nodemailer';

export interface MailConfig {
  readonly host: string;
  readonly port: number;
  readonly secure: boolean;
  readonly user: string;
  readonly password: string;
  readonly from: string;
}

/**
 * Rule e-mails through the configured SMTP server (nodemailer: the
 * well-kept SMTP client of the Node world; STARTTLS when the server offers
 * it, TLS from the start with `secure`). A refused or failed send throws,
 * so the outbox retries it.
 */
export function createMailer(
  cfg: MailConfig,
): (mail: { to: string[]; subject: string; text: string }) => Promise<void> {
  const transport = createTransport({
    host: cfg.host,
    port: cfg.port,
    secure: cfg.secure,
    ...(cfg.user === '' ? {} : { auth: { user: cfg.user, pass: cfg.password } }),
    connectionTimeout: 10_000,
    socketTimeout: 20_000,
  });
  return async (mail) => {
    await transport.sendMail({ from: cfg.from, to: mail.to, subject: mail.subject, text: mail.text });
  };
}
