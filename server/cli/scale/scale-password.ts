/** The password of every account `npm run seed:scale` makes (a benchmark's database only). */
export const scalePassword = 'scale-bench-2026';
