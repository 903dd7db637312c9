import type { Db } from "../db/client.ts";
import type { Logger } from "../log.ts";
import type { EmailTemplates } from "../mail/templates.ts";
import type { Mailer } from "../mail/transport.ts";
import type { LinkSettings } from "./links.ts";

export const CONFIRMATION_TTL_HOURS = 48;

/** What the subscription feature needs, passed in (a real database and SMTP server in tests). */
export interface SubscriptionDeps {
  db: Db;
  mailer: Mailer;
  emails: EmailTemplates;
  links: LinkSettings;
  postalAddress: string;
  confirmationEmailsPerDay: number;
  log: Logger;
  now?: () => Date;
}
