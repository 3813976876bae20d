import { type CardProfile, loadProfile, saveProfile } from './card-profile.ts';
import { PivCard } from './piv-card.ts';
import { VpcdConnection } from './vpcd-connection.ts';

/** A card from its profile file, in a vpcd slot: what tests and `npm run card` start. */
export class SimulatedCard {
  readonly card: PivCard;
  readonly connection: VpcdConnection;

  constructor(
    readonly profilePath: string,
    readonly port: number,
    log: (line: string) => void = () => {},
  ) {
    this.card = new PivCard(loadProfile(profilePath), (profile: CardProfile) =>
      saveProfile(profilePath, profile),
    );
    this.connection = new VpcdConnection(this.card, port, '127.0.0.1', log);
  }

  get profile(): CardProfile {
    return this.card.profile;
  }

  insert(): Promise<void> {
    return this.connection.insert();
  }

  remove(): Promise<void> {
    return this.connection.remove();
  }
}
