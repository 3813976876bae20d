import { Readable } from 'node:stream';
import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { clinicalSystems } from '../../db/schema/access.ts';
import { cardStates } from '../../db/schema/cards.ts';
import { type AppEnv, serviceContext } from '../http/app-env.ts';
import { defineRoute } from '../http/define-route.ts';
import { displayDate } from '../services/dates.ts';
import { cardsByState } from '../services/reports/cards-by-state.ts';
import { expiringByWeek, type ReportInput } from '../services/reports/expiring-by-week.ts';
import { positionsEnding } from '../services/reports/positions-ending.ts';
import {
  downloadReport,
  type ReportName,
  reportNames,
} from '../services/reports/report-downloads.ts';
import { earliestReportDate, latestReportDate } from '../services/reports/report-period.ts';
import { reportableOrganisations } from '../services/reports/report-scope.ts';
import { requestsByMonth } from '../services/reports/requests-by-month.ts';
import { systemAccess } from '../services/reports/system-access.ts';
import { unlocksByMonth } from '../services/reports/unlocks-by-month.ts';
import { isoDate } from './schemas.ts';

const json = <T extends z.ZodType>(schema: T) => ({ 'application/json': { schema } });

/** A query parameter given once arrives as a string, given twice as an array: both are a list. */
const oneOrMore = <T extends z.ZodType>(item: T) =>
  z.preprocess((v) => (typeof v === 'string' ? [v] : v), z.array(item).min(1).max(20));

const organisationFilter = oneOrMore(
  z
    .string()
    .regex(
      /^[A-Z0-9]{3,6}$/,
      'must be an ODS code of 3 to 6 capital letters and digits, such as RWG01',
    ),
)
  .optional()
  .openapi({
    description:
      'Only these organisations and the sites under them (repeat the parameter for more than one; at most 20). Without it, every organisation your role reaches.',
  });

const OrganisationQuery = z.strictObject({ organisation: organisationFilter });

/** A day of a report's period: this century, which holds every record and then some. */
const reportDate = () =>
  isoDate().refine(
    (d) => d >= earliestReportDate && d <= latestReportDate,
    `must be a date from ${displayDate(earliestReportDate)} to ${displayDate(latestReportDate)}`,
  );

const PeriodQuery = z.strictObject({
  organisation: organisationFilter,
  from: reportDate()
    .optional()
    .openapi({ description: 'The first day of the period (YYYY-MM-DD)' }),
  to: reportDate()
    .optional()
    .openapi({ description: 'The last day of the period, included (YYYY-MM-DD)' }),
});

const Period = z
  .object({ from: z.iso.date(), to: z.iso.date() })
  .openapi('ReportPeriod', { description: 'The days the report covers, both included' });

const Organisations = z
  .object({
    organisations: z.array(z.object({ odsCode: z.string(), name: z.string() })).openapi({
      description: 'The organisations your role reaches, which the reports may be filtered by',
    }),
    reports: z.array(z.enum(reportNames)),
  })
  .openapi('ReportOptions');

const CardsByState = z
  .object({
    rows: z.array(
      z.object({
        odsCode: z.string(),
        organisation: z.string(),
        state: z.enum(cardStates),
        cardType: z.string(),
        cards: z.number().int(),
      }),
    ),
  })
  .openapi('CardsByStateReport');

const ExpiringByWeek = z
  .object({
    period: Period,
    weeks: z.array(
      z.object({
        weekStarting: z.iso.date().openapi({ description: 'The Monday of the week' }),
        cards: z.number().int(),
      }),
    ),
  })
  .openapi('ExpiringByWeekReport');

const RequestsByMonth = z
  .object({
    period: Period,
    months: z.array(
      z.object({
        month: z.string().openapi({ description: 'YYYY-MM' }),
        raised: z.number().int(),
        decided: z.number().int().openapi({ description: 'Approved or rejected in the month' }),
        approved: z.number().int(),
        rejected: z.number().int(),
        withdrawn: z.number().int(),
        medianHoursToDecision: z.number().nullable().openapi({
          description:
            'The median time from raising to the decision of the month’s decisions, in hours to two decimals (36 seconds), so a median of minutes is not 0; null without any',
        }),
      }),
    ),
  })
  .openapi('RequestsByMonthReport');

const UnlocksByMonth = z
  .object({
    period: Period,
    months: z.array(
      z.object({
        month: z.string().openapi({ description: 'YYYY-MM' }),
        unlocks: z.number().int(),
        selfService: z
          .number()
          .int()
          .openapi({ description: 'Of those, by the holder with a one-time code' }),
      }),
    ),
  })
  .openapi('UnlocksByMonthReport');

const SystemAccess = z
  .object({
    asOf: z.iso.date(),
    systems: z.array(
      z.object({
        system: z.enum(clinicalSystems),
        people: z.number().int(),
        positions: z.number().int(),
      }),
    ),
  })
  .openapi('SystemAccessReport');

const PositionsEnding = z
  .object({
    period: Period,
    total: z.number().int(),
    weeks: z.array(z.object({ weekStarting: z.iso.date(), assignments: z.number().int() })),
    items: z
      .array(
        z.object({
          endDate: z.iso.date(),
          person: z.object({ id: z.uuid(), name: z.string(), userId: z.string() }),
          position: z.object({ id: z.uuid(), name: z.string() }),
          odsCode: z.string(),
          organisation: z.string(),
        }),
      )
      .openapi({ description: 'The first 100, soonest first; the CSV download lists them all' }),
  })
  .openapi('PositionsEndingReport');

const period = ({ from, to }: { from: string; to: string }) => ({ from, to });

const options = defineRoute({
  method: 'get',
  path: '/api/reports',
  operationId: 'getReportOptions',
  access: 'reports:read',
  tags: ['Reports'],
  summary: 'The reports and the organisations you may filter them by',
  responses: { 200: { description: 'What you may report on', content: json(Organisations) } },
});

const scopeWords =
  'Counts only what lies in the organisations your role reaches (an RA manager’s trust and its sites, a sponsor’s organisation).';

const pascal = (name: string) =>
  name.replace(/(^|-)([a-z])/g, (_m, _dash, letter: string) => letter.toUpperCase());

/** What each report is filtered by: organisations, and for a report over time a period too. */
const reportQueries = {
  'cards-by-state': OrganisationQuery,
  'expiring-by-week': PeriodQuery,
  'requests-by-month': PeriodQuery,
  'unlocks-by-month': PeriodQuery,
  'system-access': OrganisationQuery,
  'positions-ending': PeriodQuery,
} as const satisfies Record<ReportName, typeof OrganisationQuery | typeof PeriodQuery>;

/** What a report's operation says of itself in the API reference. */
interface ReportWords {
  summary: string;
  /** What the report counts; the words on the organisations it covers follow. */
  description: string;
  /** What the 200 response holds: "The counts", "The weeks". */
  returns: string;
}

/** A report's figures as JSON, GET /api/reports/{name}, filtered as its name says. */
function reportRoute<const N extends ReportName, const S extends z.ZodType>(
  name: N,
  schema: S,
  { summary, description, returns }: ReportWords,
) {
  return defineRoute({
    method: 'get',
    path: `/api/reports/${name}` as const,
    operationId: `get${pascal(name)}Report`,
    access: 'reports:read',
    tags: ['Reports'],
    summary,
    description: `${description} ${scopeWords}`,
    request: { query: reportQueries[name] },
    responses: { 200: { description: returns, content: json(schema) } },
  });
}

const cardsRoute = reportRoute('cards-by-state', CardsByState, {
  summary: 'Cards by organisation, state and type',
  description:
    'A card counts under each organisation of its holder; a card with no holder under the organisation of the location it is kept at.',
  returns: 'The counts',
});

const expiringRoute = reportRoute('expiring-by-week', ExpiringByWeek, {
  summary: 'Cards whose certificates expire, by week (the next six months by default)',
  description:
    'Cards in use (issued, active, blocked, suspended) by the week their certificates expire (the earliest notAfter of those in force), weeks starting on Monday. The period is at most 53 weeks.',
  returns: 'The weeks',
});

const requestsRoute = reportRoute('requests-by-month', RequestsByMonth, {
  summary: 'Requests raised and decided by month, with the median time to a decision',
  description:
    'By default the last twelve months; at most five years. A request belongs to its position’s organisation.',
  returns: 'The months',
});

const unlocksRoute = reportRoute('unlocks-by-month', UnlocksByMonth, {
  summary: 'Cards unlocked by month',
  description:
    'Unlocks that succeeded, at a desk or by the holder, by the month they finished; by default the last twelve months, at most five years.',
  returns: 'The months',
});

const systemsRoute = reportRoute('system-access', SystemAccess, {
  summary: 'People with access to each clinical system today',
  description:
    'People holding today a position that opens the system, by the organisation of the position.',
  returns: 'The systems',
});

const endingRoute = reportRoute('positions-ending', PositionsEnding, {
  summary: 'Positions ending soon: assignments whose end date falls in the period',
  description:
    'Assignments not ended whose end date falls in the period (by default the next 30 days; at most a year), by week, and the first 100 of them.',
  returns: 'The assignments',
});

/** The CSV download of a report: the same filters, the same figures, as a file. */
function csvRoute(name: ReportName) {
  return defineRoute({
    method: 'get',
    path: `/api/reports/${name}.csv`,
    operationId: `download${pascal(name)}Report`,
    access: 'reports:read',
    tags: ['Reports'],
    summary: `GET /api/reports/${name} as a CSV file`,
    description:
      'Streamed, with a heading row and a UTF-8 byte order mark. A text cell that a spreadsheet would read as a formula (starting with =, +, -, @, a tab or a carriage return) starts with an apostrophe.',
    request: { query: reportQueries[name] },
    responses: {
      200: {
        description: 'The report as CSV',
        content: { 'text/csv': { schema: z.string() } },
      },
    },
  });
}

export function registerReports(app: OpenAPIHono<AppEnv>) {
  app.openapi(options, async (c) =>
    c.json(
      {
        organisations: await reportableOrganisations(serviceContext(c)),
        reports: [...reportNames],
      },
      200,
    ),
  );
  app.openapi(cardsRoute, async (c) =>
    c.json({ rows: await cardsByState(serviceContext(c), c.req.valid('query')) }, 200),
  );
  app.openapi(expiringRoute, async (c) => {
    const report = await expiringByWeek(serviceContext(c), c.req.valid('query'));
    return c.json({ period: period(report.period), weeks: report.weeks }, 200);
  });
  app.openapi(requestsRoute, async (c) => {
    const report = await requestsByMonth(serviceContext(c), c.req.valid('query'));
    return c.json({ period: period(report.period), months: report.months }, 200);
  });
  app.openapi(unlocksRoute, async (c) => {
    const report = await unlocksByMonth(serviceContext(c), c.req.valid('query'));
    return c.json({ period: period(report.period), months: report.months }, 200);
  });
  app.openapi(systemsRoute, async (c) =>
    c.json(await systemAccess(serviceContext(c), c.req.valid('query')), 200),
  );
  app.openapi(endingRoute, async (c) => {
    const report = await positionsEnding(serviceContext(c), c.req.valid('query'));
    return c.json({ ...report, period: period(report.period) }, 200);
  });
  for (const name of reportNames) {
    app.openapi(csvRoute(name), async (c) => {
      const { filename, csv } = await downloadReport(
        serviceContext(c),
        name,
        // Each download's query is the schema its route declares (PeriodQuery or OrganisationQuery).
        c.req.valid('query' as never) as ReportInput,
      );
      return c.body(Readable.toWeb(csv) as ReadableStream, 200, {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="${filename}"`,
      }) as never;
    });
  }
}
